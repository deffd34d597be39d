//! `kiosk-device staff …`: what a recruiter does on a staff tablet, behind the staff PIN:
//! list the event's registrations pulled from the relay, read one, add a note, set their
//! rating and the status. Edits stay on the tablet until the next `sync` pushes them.

use std::sync::Arc;

use clap::Subcommand;
use kiosk_core::annotations::RecordStatus;
use kiosk_core::device::{Device, DeviceRole};
use kiosk_core::ids::{RegistrationId, Timestamp};
use kiosk_core::staff::StaffSession;
use kiosk_core::staff_records::StaffRecord;

use super::{CliResult, StoreArgs};

#[derive(Subcommand)]
pub enum StaffCommand {
    /// List the registrations this tablet holds, newest first.
    List,
    /// Show one registration with its notes, ratings and status.
    Show {
        /// The registration id, as `list` prints it.
        #[arg(long)]
        id: String,
    },
    /// Add a note in this tablet's recruiter's name (notes are never edited afterwards).
    Note {
        #[arg(long)]
        id: String,
        #[arg(long)]
        text: String,
    },
    /// Set this tablet's recruiter's rating, 1–5, or clear it with --clear.
    Rate {
        #[arg(long)]
        id: String,
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=5), required_unless_present = "clear")]
        score: Option<i64>,
        #[arg(long, conflicts_with = "score")]
        clear: bool,
    },
    /// Set the registration's status: new, shortlisted, contacted, interviewing,
    /// not_proceeding or hired.
    Status {
        #[arg(long)]
        id: String,
        #[arg(long, value_parser = parse_status)]
        set: RecordStatus,
    },
}

fn parse_status(text: &str) -> Result<RecordStatus, String> {
    RecordStatus::parse(text).ok_or_else(|| {
        let known: Vec<&str> = RecordStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown status {text:?}: use one of {}", known.join(", "))
    })
}

fn parse_id(text: &str) -> Result<RegistrationId, String> {
    RegistrationId::parse(text).ok_or_else(|| format!("{text:?} is not a registration id"))
}

/// Opens staff mode with the PIN; a staff tablet always has one.
fn open(store: &StoreArgs, pin: &str) -> Result<StaffSession, Box<dyn std::error::Error>> {
    let device: Arc<Device> = store.open(DeviceRole::Staff)?;
    if device.role() != DeviceRole::Staff {
        return Err("this is a kiosk tablet; staff commands need a staff tablet".into());
    }
    Ok(kiosk_core::staff::unlock(&device, pin, Timestamp::now())?)
}

pub fn run(store: &StoreArgs, pin: &str, command: StaffCommand) -> CliResult {
    let session = open(store, pin)?;
    let now = Timestamp::now();
    match command {
        StaffCommand::List => {
            let records = session.registrations()?;
            for record in &records {
                println!("{}", summary(record));
            }
            println!("{} registration(s)", records.len());
        }
        StaffCommand::Show { id } => show(&session.registration(&parse_id(&id)?)?),
        StaffCommand::Note { id, text } => {
            session.add_note(&parse_id(&id)?, &text, now)?;
            println!("note added; `sync` sends it / anteckningen skickas vid nästa synk");
        }
        StaffCommand::Rate { id, score, clear } => {
            let score = if clear { None } else { score };
            session.rate(&parse_id(&id)?, score, now)?;
            match score {
                Some(score) => println!("rating {score} set; `sync` sends it"),
                None => println!("rating cleared; `sync` sends it"),
            }
        }
        StaffCommand::Status { id, set } => {
            session.set_status(&parse_id(&id)?, set, now)?;
            println!("status {} set; `sync` sends it", set.as_str());
        }
    }
    Ok(())
}

fn summary(record: &StaffRecord) -> String {
    let r = &record.registration;
    let (_, status) = record.annotations.status.label();
    format!(
        "{}  {} {}  {}  [{}]  {} note(s){}",
        r.id,
        r.person.given_name,
        r.person.family_name,
        r.interests.join(","),
        status,
        record.annotations.notes.len(),
        if record.unsent_changes > 0 {
            "  (unsent edits)"
        } else {
            ""
        }
    )
}

fn show(record: &StaffRecord) {
    let r = &record.registration;
    let a = &record.annotations;
    println!("{}", r.id);
    println!("name      {} {}", r.person.given_name, r.person.family_name);
    println!("email     {}", r.person.email.as_deref().unwrap_or("–"));
    println!("phone     {}", r.person.phone.as_deref().unwrap_or("–"));
    println!("interests {}", r.interests.join(", "));
    println!("locations {}", r.locations.join(", "));
    let (sv, en) = a.status.label();
    println!("status    {sv} / {en}");
    for (recruiter, score) in &a.ratings {
        println!("rating    {recruiter}: {score}");
    }
    for note in &a.notes {
        println!(
            "note      {} {}: {}",
            note.written_at.utc_minutes(),
            note.author,
            note.text
        );
    }
    if record.unsent_changes > 0 {
        println!("{} edit(s) not yet sent: run `sync`", record.unsent_changes);
    }
}
