//! The settings of `serve`'s scheduled backups (`--backup-dir`, `--backup-every`,
//! `--backup-keep`, `--backup-offsite-only`), from the environment and the config file, and
//! the schedule they resolve to. [`crate::config`] merges them like every other setting;
//! this module owns their names, their parsing and their bounds.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::ConfigError;

pub const ENV_BACKUP_DIR: &str = "KIOSK_BACKUP_DIR";
pub const ENV_BACKUP_EVERY: &str = "KIOSK_BACKUP_EVERY";
pub const ENV_BACKUP_KEEP: &str = "KIOSK_BACKUP_KEEP";
pub const ENV_BACKUP_OFFSITE_ONLY: &str = "KIOSK_BACKUP_OFFSITE_ONLY";

/// The config file's keys of this module.
pub const FILE_KEYS: [&str; 4] = [
    "backup_dir",
    "backup_every",
    "backup_keep",
    "backup_offsite_only",
];

/// How often a backup is taken when only the folder is given.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(24 * 3600);
/// How many backups are kept when only the folder is given.
pub const DEFAULT_KEEP: usize = 7;
/// The range of `backup_every`: more often than a minute only loads the disk; less often
/// than a month leaves tablets holding their sealed copies for too long.
pub const EVERY: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(60)..=Duration::from_secs(31 * 24 * 3600);
/// The range of `backup_keep`.
pub const KEEP: std::ops::RangeInclusive<usize> = 1..=1000;

pub const EXPECT_EVERY: &str =
    "a duration from 1m to 31d: a whole number and s, m, h or d, like \"6h\"";
pub const EXPECT_KEEP: &str = "a whole number of backups from 1 to 1000, like 7";
const EXPECT_PATH: &str = "a folder path in quotes";
const EXPECT_BOOL: &str = "true or false";

/// The scheduled-backup settings from one source; `None` where it says nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BackupSettings {
    pub dir: Option<PathBuf>,
    pub every: Option<Duration>,
    pub keep: Option<usize>,
    pub offsite_only: Option<bool>,
}

/// What `serve` backs up by: a verified backup into `dir` every `every`, the newest `keep`
/// kept; with `offsite_only`, a backup on the data directory's own filesystem is kept but
/// does not let tablets erase their copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
    pub offsite_only: bool,
}

impl BackupSettings {
    /// `self`, with what it leaves unset taken from `lower`.
    pub fn over(self, lower: BackupSettings) -> BackupSettings {
        BackupSettings {
            dir: self.dir.or(lower.dir),
            every: self.every.or(lower.every),
            keep: self.keep.or(lower.keep),
            offsite_only: self.offsite_only.or(lower.offsite_only),
        }
    }

    /// Reads the `KIOSK_BACKUP_*` variables through `var`; an empty one counts as unset.
    pub fn from_env(var: impl Fn(&str) -> Option<OsString>) -> Result<BackupSettings, ConfigError> {
        let text = |name: &'static str, expected: &'static str| {
            var(name)
                .filter(|value| !value.is_empty())
                .map(|value| {
                    value
                        .into_string()
                        .map_err(|_| ConfigError::BadEnvValue { name, expected })
                })
                .transpose()
        };
        let parsed = |name: &'static str, expected, parse: fn(&str) -> Option<_>| {
            text(name, expected)?
                .map(|value| parse(&value).ok_or(ConfigError::BadEnvValue { name, expected }))
                .transpose()
        };
        Ok(BackupSettings {
            dir: var(ENV_BACKUP_DIR)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from),
            every: parsed(ENV_BACKUP_EVERY, EXPECT_EVERY, parse_every)?,
            keep: text(ENV_BACKUP_KEEP, EXPECT_KEEP)?
                .map(|value| {
                    parse_keep(&value).ok_or(ConfigError::BadEnvValue {
                        name: ENV_BACKUP_KEEP,
                        expected: EXPECT_KEEP,
                    })
                })
                .transpose()?,
            offsite_only: text(ENV_BACKUP_OFFSITE_ONLY, EXPECT_BOOL)?
                .map(|value| {
                    parse_bool(&value).ok_or(ConfigError::BadEnvValue {
                        name: ENV_BACKUP_OFFSITE_ONLY,
                        expected: EXPECT_BOOL,
                    })
                })
                .transpose()?,
        })
    }

    /// Takes one of [`FILE_KEYS`] from the config file at `path` (relative folders are
    /// relative to the file's directory).
    pub fn set_from_file(
        &mut self,
        key: &str,
        value: &toml::Value,
        path: &Path,
    ) -> Result<(), ConfigError> {
        let bad = |key: &'static str, expected| ConfigError::BadFileValue {
            path: path.to_owned(),
            key,
            expected,
        };
        match key {
            "backup_dir" => {
                let base = path.parent().unwrap_or(Path::new(""));
                let dir = value.as_str().filter(|text| !text.is_empty());
                self.dir = Some(base.join(dir.ok_or_else(|| bad("backup_dir", EXPECT_PATH))?));
            }
            "backup_every" => {
                let every = value.as_str().and_then(parse_every);
                self.every = Some(every.ok_or_else(|| bad("backup_every", EXPECT_EVERY))?);
            }
            "backup_keep" => {
                let keep = value.as_integer().and_then(|n| parse_keep(&n.to_string()));
                self.keep = Some(keep.ok_or_else(|| bad("backup_keep", EXPECT_KEEP))?);
            }
            _ => {
                let only = value.as_bool();
                self.offsite_only =
                    Some(only.ok_or_else(|| bad("backup_offsite_only", EXPECT_BOOL))?);
            }
        }
        Ok(())
    }

    /// The schedule, if a folder is given; the other settings without a folder are refused,
    /// since they would silently do nothing.
    pub fn schedule(&self) -> Result<Option<BackupSchedule>, ConfigError> {
        let Some(dir) = self.dir.clone() else {
            if self.every.is_some() || self.keep.is_some() || self.offsite_only == Some(true) {
                return Err(ConfigError::BackupWithoutDir);
            }
            return Ok(None);
        };
        Ok(Some(BackupSchedule {
            dir,
            every: self.every.unwrap_or(DEFAULT_EVERY),
            keep: self.keep.unwrap_or(DEFAULT_KEEP),
            offsite_only: self.offsite_only.unwrap_or(false),
        }))
    }
}

/// A duration as operators write it: `90s`, `30m`, `6h`, `1d`, within [`EVERY`].
pub fn parse_every(text: &str) -> Option<Duration> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let number: u64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let seconds = match unit {
        's' => number,
        'm' => number.checked_mul(60)?,
        'h' => number.checked_mul(3600)?,
        'd' => number.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(seconds)).filter(|every| EVERY.contains(every))
}

/// A number of backups to keep, within [`KEEP`].
pub fn parse_keep(text: &str) -> Option<usize> {
    text.trim().parse().ok().filter(|keep| KEEP.contains(keep))
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_and_stay_within_bounds() {
        assert_eq!(parse_every("6h"), Some(Duration::from_secs(6 * 3600)));
        assert_eq!(parse_every(" 90s "), Some(Duration::from_secs(90)));
        assert_eq!(parse_every("1d"), Some(DEFAULT_EVERY));
        for refused in ["", "6", "h", "30s", "32d", "-1h", "1.5h", "6 hours", "1é"] {
            assert_eq!(parse_every(refused), None, "{refused:?}");
        }
        assert_eq!(parse_keep("7"), Some(7));
        assert_eq!(parse_keep("0"), None);
        assert_eq!(parse_keep("1001"), None);
    }

    #[test]
    fn environment_and_file_name_what_was_wrong() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let settings = BackupSettings::from_env(env(&[
            (ENV_BACKUP_DIR, "/srv/backups"),
            (ENV_BACKUP_EVERY, "12h"),
            (ENV_BACKUP_KEEP, "3"),
            (ENV_BACKUP_OFFSITE_ONLY, "yes"),
        ]))
        .expect("parses");
        assert_eq!(
            settings.schedule().expect("valid"),
            Some(BackupSchedule {
                dir: PathBuf::from("/srv/backups"),
                every: Duration::from_secs(12 * 3600),
                keep: 3,
                offsite_only: true,
            })
        );
        let error = BackupSettings::from_env(env(&[(ENV_BACKUP_EVERY, "soon")]))
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains(ENV_BACKUP_EVERY) && error.contains("6h"),
            "{error}"
        );

        let mut file = BackupSettings::default();
        let path = Path::new("/etc/kiosk/relay.toml");
        file.set_from_file("backup_dir", &toml::Value::from("backups"), path)
            .expect("a folder");
        assert_eq!(file.dir, Some(PathBuf::from("/etc/kiosk/backups")));
        let error = file
            .set_from_file("backup_keep", &toml::Value::from(0), path)
            .expect_err("refused")
            .to_string();
        assert!(error.contains("backup_keep"), "{error}");

        let without_dir = BackupSettings {
            keep: Some(3),
            ..BackupSettings::default()
        };
        assert!(matches!(
            without_dir.schedule(),
            Err(ConfigError::BackupWithoutDir)
        ));
    }
}
