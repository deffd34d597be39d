//! The line on the devices page that says how old the newest verified backup is: tablets
//! keep their sealed copies until a backup holds them, so an admin sees there whether
//! backups are being taken (and when the last one failed). Read from the data directory's
//! backup record ([`crate::scheduled_backup`]); absent on a relay whose store is in
//! PostgreSQL, whose backups the relay does not take.

use std::path::Path;

use kiosk_core::language::Language;
use maud::{Markup, html};

use crate::hr::dates;
use crate::scheduled_backup::{BackupStatus, backup_status};

struct Texts {
    heading: &'static str,
    newest: &'static str,
    none: &'static str,
    failed: &'static str,
    minutes: &'static str,
    hours: &'static str,
    days: &'static str,
}

const SV: Texts = Texts {
    heading: "Säkerhetskopior",
    newest: "Senaste verifierade säkerhetskopia: {} ({} sedan).",
    none: "Ingen verifierad säkerhetskopia ännu. Surfplattorna behåller sina förseglade kopior tills en säkerhetskopia finns.",
    failed: "Senaste säkerhetskopieringen misslyckades {}. Se reläets logg.",
    minutes: "min",
    hours: "tim",
    days: "dygn",
};

const EN: Texts = Texts {
    heading: "Backups",
    newest: "Newest verified backup: {} ({} ago).",
    none: "No verified backup yet. Tablets keep their sealed copies until a backup holds them.",
    failed: "The last backup failed at {}. See the relay's log.",
    minutes: "min",
    hours: "h",
    days: "days",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// How long ago `age_ms` is, in whole minutes, hours or days.
fn age(t: &Texts, age_ms: i64) -> String {
    let minutes = age_ms.max(0) / 60_000;
    match minutes {
        0..120 => format!("{minutes} {}", t.minutes),
        120..2880 => format!("{} {}", minutes / 60, t.hours),
        _ => format!("{} {}", minutes / 1440, t.days),
    }
}

/// The section for the backups recorded in `data_dir`, as of `now_ms`.
pub(super) fn backup_section(data_dir: &Path, lang: Language, now_ms: i64) -> Markup {
    render(&backup_status(data_dir), lang, now_ms)
}

fn render(status: &BackupStatus, lang: Language, now_ms: i64) -> Markup {
    let t = texts(lang);
    html! {
        section aria-labelledby="backups-heading" {
            h2 #backups-heading { (t.heading) }
            @match &status.newest_counted {
                Some(newest) => p {
                    (super::texts::fill(
                        &super::texts::fill(t.newest, dates::local_minutes(newest.at_ms)),
                        age(t, now_ms - newest.at_ms),
                    ))
                },
                None => p { (t.none) },
            }
            @if let Some(failure) = &status.last_failure {
                div.notice role="status" {
                    p { (super::texts::fill(t.failed, dates::local_minutes(failure.at_ms))) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduled_backup::{BackupEntry, BackupFailure};

    #[test]
    fn the_newest_backups_age_is_shown_in_swedish_and_english_and_a_failure_is_flagged() {
        let now = 1_800_000_000_000;
        let entry = BackupEntry {
            at_ms: now - 3 * 3_600_000,
            path: "/srv/backups/relay-x.sqlite3".into(),
            watermark: 4,
            counted: true,
        };
        let status = BackupStatus {
            newest: Some(entry.clone()),
            newest_counted: Some(entry),
            last_failure: None,
        };
        let sv = render(&status, Language::Swedish, now).into_string();
        assert!(sv.contains("Senaste verifierade säkerhetskopia"), "{sv}");
        assert!(sv.contains("(3 tim sedan)"), "{sv}");
        let en = render(&status, Language::English, now).into_string();
        assert!(en.contains("(3 h ago)"), "{en}");
        assert!(!en.contains("relay-x"), "no file paths on the page");

        let failed = BackupStatus {
            last_failure: Some(BackupFailure {
                at_ms: now - 60_000,
                reason: "cannot write /srv/backups: disk full".into(),
            }),
            ..BackupStatus::default()
        };
        let en = render(&failed, Language::English, now).into_string();
        assert!(en.contains("No verified backup yet"), "{en}");
        assert!(en.contains("The last backup failed"), "{en}");
        assert!(!en.contains("disk full"), "the reason is in the log");
        assert_eq!(age(&SV, 3 * 86_400_000), "3 dygn");
        assert_eq!(age(&EN, 5 * 60_000), "5 min");
    }
}
