//! `kiosk-device`: the device side of Kiosk from a terminal.
//!
//! `demo` shows the demo event's form, captures generated visitors against it in memory, and
//! shows how a refused submission reads in Swedish and English. `init`, `capture`, `status`,
//! `journal`, `set-pin`, `enroll`, `sync` and `close` work on a real device store, as a
//! tablet would; `staff …` is a recruiter's work on a staff tablet (see `staff_cli`).

#[path = "kiosk-device/staff_cli.rs"]
mod staff_cli;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use kiosk_core::capture::RelaySealingKey;
use kiosk_core::demo::demo_event;
use kiosk_core::device::{Device, DeviceRole, HandBack};
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::ids::Timestamp;
use kiosk_core::language::Language;
use kiosk_core::secrets::FileSecretStore;
use kiosk_core::validation::{RegistrationInput, validate};
use kiosk_core::visitor::VisitorSession;

#[derive(Parser)]
#[command(version, about = "The Kiosk device side from a terminal")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the demo event, capture generated registrations against its form, and print them.
    Demo {
        /// How many visitors to generate.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Seed for the generator, so a run can be repeated.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Language for labels and error messages: sv or en.
        #[arg(long, default_value = "sv", value_parser = parse_language)]
        lang: Language,
    },
    /// Create a device store (or open an existing one), install the demo event and pin a
    /// relay key.
    Init {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t = Role::Kiosk)]
        role: Role,
        /// Development builds only: pin the relay's X25519 sealing key (64 hex digits)
        /// without enrolling. Release builds refuse it; they capture once enrolled.
        /// `demo-relay-key` prints the demo relay's.
        #[arg(long)]
        relay_public_key: Option<String>,
        /// Install no event: the tablet serves the event its enrollment code was made for,
        /// and receives it (form and privacy notice) with its first sync.
        #[arg(long)]
        event_from_relay: bool,
    },
    /// Capture registrations: generated ones (`--demo N`) or a JSON array of form inputs.
    Capture {
        #[command(flatten)]
        store: StoreArgs,
        /// Capture this many generated visitors.
        #[arg(long, conflicts_with = "file")]
        demo: Option<u64>,
        /// Seed for the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A JSON file holding an array of form inputs.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Show counts, the journal head and whether the tablet is safe to hand back.
    Status {
        #[command(flatten)]
        store: StoreArgs,
        /// The staff PIN, if one is set.
        #[arg(long)]
        pin: Option<String>,
    },
    /// Print the evidence this tablet kept when the relay's transparency log forked (both
    /// checkpoints, the failed proof, the relay-signed answer), for the security officer.
    /// Fails when there was no fork.
    LogEvidence {
        #[command(flatten)]
        store: StoreArgs,
        /// The staff PIN, if one is set.
        #[arg(long)]
        pin: Option<String>,
    },
    /// Require the cosignatures of exactly these witnesses (C2SP tlog-cosignature verifier
    /// keys, 1 to 16) before a capture counts as received, in place of any pinned before.
    RequireWitnesses {
        #[command(flatten)]
        store: StoreArgs,
        /// The staff PIN, if one is set.
        #[arg(long)]
        pin: Option<String>,
        /// A witness's verifier key (`<name>+<key id>+<base64>`); repeat for more.
        #[arg(long = "witness-key", required = true)]
        witness_keys: Vec<String>,
    },
    /// Acknowledge that staff saw the relay's restore from a backup (its log went back)
    /// and told IT/security: the tablet may be handed back again.
    AcknowledgeLogRestore {
        #[command(flatten)]
        store: StoreArgs,
        /// The staff PIN, if one is set.
        #[arg(long)]
        pin: Option<String>,
    },
    /// List the journal and verify its chain.
    Journal {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        pin: Option<String>,
    },
    /// Set the tablet's first staff PIN (6–12 digits).
    SetPin {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        pin: String,
    },
    /// Enroll with a relay using the code HR gave (the relay's `demo` command prints one).
    Enroll {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        relay: RelayArgs,
        /// The enrollment code, e.g. ABCD-EFGH-JKLM-NPQR-STUV.
        #[arg(long)]
        code: String,
        /// The relay key id the enrollment QR code carries (`key=`); enrollment is refused
        /// if the relay answers with another key.
        #[arg(long)]
        relay_key_id: Option<String>,
    },
    /// Push everything not yet receipted to the relay, in batches, and show what it confirmed.
    Sync {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        relay: RelayArgs,
    },
    /// Close the event on this tablet: N captured / N received, and whether the journal the
    /// relay signed in its last receipt is this tablet's.
    Close {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the demo relay's public sealing key (development only: lets a store capture
    /// without enrolling).
    DemoRelayKey,
    /// Choose a new staff PIN after HR unlocked a locked-out one: with the unlock the last
    /// sync brought, or with the code HR gave (`--code`).
    StaffUnlock {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        new_pin: String,
        /// The unlock code `kiosk-sync-server unlock-staff-pin` printed.
        #[arg(long)]
        code: Option<String>,
    },
    /// A recruiter's work on a staff tablet: registrations pulled by `sync`, notes, ratings,
    /// status.
    Staff {
        #[command(flatten)]
        store: StoreArgs,
        /// The staff PIN.
        #[arg(long)]
        pin: String,
        #[command(subcommand)]
        command: staff_cli::StaffCommand,
    },
}

#[derive(clap::Args)]
struct StoreArgs {
    /// The device store file.
    #[arg(long, global = true, default_value = "kiosk-device.sqlite3")]
    store: PathBuf,
    /// Directory of the file-backed secret store (default: the store path + `.secrets`).
    #[arg(long, global = true)]
    secrets: Option<PathBuf>,
}

impl StoreArgs {
    fn open(&self, role_if_new: DeviceRole) -> Result<Arc<Device>, kiosk_core::Error> {
        Device::open(&self.store, &self.secret_store(), role_if_new)
    }

    fn secret_store(&self) -> FileSecretStore {
        let secrets_dir = self.secrets.clone().unwrap_or_else(|| {
            let mut dir = self.store.as_os_str().to_owned();
            dir.push(".secrets");
            PathBuf::from(dir)
        });
        FileSecretStore::new(secrets_dir)
    }
}

#[derive(clap::Args)]
struct RelayArgs {
    /// The relay's address, e.g. https://relay.example.se or http://127.0.0.1:8700.
    #[arg(long, env = "KIOSK_RELAY", default_value = "http://127.0.0.1:8700")]
    relay: String,
    /// PEM file with the CA certificate(s) that issued the relay's certificate, for a relay
    /// with a private CA; only these are then trusted. Without it, the public (Mozilla) roots.
    #[arg(long, env = "KIOSK_CA_CERT", value_name = "FILE")]
    ca_cert: Option<PathBuf>,
}

impl RelayArgs {
    fn transport(&self) -> Result<kiosk_core::sync::HttpTransport, Box<dyn std::error::Error>> {
        let Some(path) = &self.ca_cert else {
            return Ok(kiosk_core::sync::HttpTransport::new(&self.relay));
        };
        let pem = std::fs::read(path).map_err(|e| {
            format!(
                "cannot read the CA certificate file {}: {e}",
                path.display()
            )
        })?;
        kiosk_core::sync::HttpTransport::with_root_certificates(&self.relay, &pem)
            .map_err(|e| format!("{}: {e}", path.display()).into())
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Kiosk,
    Staff,
}

fn parse_language(tag: &str) -> Result<Language, String> {
    Language::from_tag(tag).ok_or_else(|| format!("unknown language {tag:?}: use sv or en"))
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

fn main() -> std::process::ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> CliResult {
    match command {
        Command::Demo { count, seed, lang } => demo(count, seed, lang),
        Command::Init {
            store,
            role,
            relay_public_key,
            event_from_relay,
        } => init(&store, role, relay_public_key.as_deref(), event_from_relay),
        Command::Capture {
            store,
            demo,
            seed,
            file,
        } => capture(&store, demo, seed, file.as_deref()),
        Command::Status { store, pin } => status(&store, pin.as_deref()),
        Command::LogEvidence { store, pin } => log_evidence(&store, pin.as_deref()),
        Command::RequireWitnesses {
            store,
            pin,
            witness_keys,
        } => {
            let device = store.open(DeviceRole::Kiosk)?;
            staff(&device, pin.as_deref())?;
            device.require_witnesses(&witness_keys)?;
            println!(
                "{} witness(es) required: a capture counts as received once they cosigned \
                 the relay's log holding it",
                device.witness_keys()?.len()
            );
            Ok(())
        }
        Command::AcknowledgeLogRestore { store, pin } => {
            let device = store.open(DeviceRole::Kiosk)?;
            staff(&device, pin.as_deref())?;
            match device.log_restore()? {
                Some(restore) => {
                    // The restore just printed below, not one merged in meanwhile.
                    if !device.acknowledge_log_restore(restore.at)? {
                        return Err("the restore changed meanwhile: run again to see it / \
                             återställningen ändrades under tiden: kör igen för att se den"
                            .into());
                    }
                    let said =
                        kiosk_core::user_messages::log_restore_message(restore.from, restore.to);
                    println!("acknowledged / kvitterat:\n{}\n{}", said.en, said.sv);
                    Ok(())
                }
                None => Err("no restore of the relay's log to acknowledge / ingen \
                             återställning av reläets logg att kvittera"
                    .into()),
            }
        }
        Command::Journal { store, pin } => journal(&store, pin.as_deref()),
        Command::SetPin { store, pin } => {
            let device = store.open(DeviceRole::Kiosk)?;
            kiosk_core::staff::set_initial_pin(&device, &pin)?;
            println!("staff PIN set");
            Ok(())
        }
        Command::Enroll {
            store,
            relay,
            code,
            relay_key_id,
        } => {
            let code = kiosk_core::protocol::enrollment::EnrollmentCode::parse(&code)
                .ok_or("an enrollment code is 20 characters, like ABCD-EFGH-JKLM-NPQR-STUV")?;
            let transport = relay.transport()?;
            let device = store.open(DeviceRole::Kiosk)?;
            let certificate = device.enroll_at(
                &code,
                &transport,
                relay_key_id.as_deref(),
                Some(&relay.relay),
            )?;
            println!(
                "enrolled as {:?} for {} until {}",
                certificate.role,
                certificate.event_id,
                Timestamp(certificate.expires_at).utc_minutes()
            );
            println!(
                "relay key {} pinned",
                device.relay_key()?.map(|k| k.key_id).unwrap_or_default()
            );
            Ok(())
        }
        Command::Sync { store, relay } => {
            let transport = relay.transport()?;
            let device = store.open(DeviceRole::Kiosk)?;
            let synced = kiosk_core::sync::sync(
                &device,
                &transport,
                &kiosk_core::sync::NoListener,
                kiosk_core::sync::BatchLimits::default(),
                Timestamp::now,
            );
            let report = match synced {
                Ok(report) => report,
                Err(error) => {
                    if let HandBack::RelayRefuses(refusal) = device.hand_back()? {
                        println!("{}", refused_text(&refusal));
                    }
                    return Err(error.into());
                }
            };
            println!(
                "{} request(s): {} received, {} in quarantine at the relay, {} refused",
                report.requests,
                report.received,
                report.quarantined,
                report.refused.len()
            );
            if report.log_unproven > 0 {
                println!(
                    "{}",
                    kiosk_core::user_messages::log_unproven_message(report.log_unproven).en
                );
            }
            if report.awaiting_witness > 0 {
                println!(
                    "{} capture(s) stored at the relay wait for the witness's cosignature: \
                     sync again later",
                    report.awaiting_witness
                );
            }
            if report.clock_behind_witness {
                println!(
                    "{}",
                    kiosk_core::user_messages::clock_behind_witness_message().en
                );
            }
            if let Some(restore) = device.log_restore()? {
                println!(
                    "{}",
                    hand_back_text(&HandBack::LogRestored {
                        from: restore.from,
                        to: restore.to
                    })
                );
            }
            if report.event_updated {
                let version = device
                    .event()?
                    .and_then(|e| e.current_version)
                    .map(|v| v.short().to_owned())
                    .unwrap_or_default();
                println!("event updated from the relay: form version {version}");
            }
            if device.role() == DeviceRole::Staff {
                println!(
                    "{} registration(s) pulled, {} edited registration(s) sent",
                    report.pulled, report.edits_stored
                );
            }
            if report.removed > 0 {
                println!(
                    "{} registration(s) removed at the relay were erased here",
                    report.removed
                );
            }
            if report.unlock_received {
                println!(
                    "HR unlocked the staff PIN: choose a new one with `staff-unlock --new-pin`"
                );
            }
            if report.relay_keys_adopted
                && let Some(key) = device.relay_key()?
            {
                println!(
                    "the relay rotated its keys: relay key {} pinned now",
                    key.key_id
                );
            }
            for (doc_id, code) in &report.refused {
                println!("  refused {doc_id}: {}", code.as_str());
            }
            if report.erased > 0 {
                println!(
                    "{} sealed cop(ies) erased: a relay backup holds them",
                    report.erased
                );
            }
            if report.resent > 0 {
                println!(
                    "{} record(s) sent again: the relay was restored from a backup",
                    report.resent
                );
            }
            if report.edits_resent > 0 {
                println!(
                    "{} registration(s) with edits sent again: the relay's log was restored",
                    report.edits_resent
                );
            }
            if report.resend_refused > 0 {
                println!(
                    "{}",
                    kiosk_core::user_messages::resend_refused_message(report.resend_refused).en
                );
            }
            let local = device.journal_head()?;
            if let Some(relay_journal) = report.relay_journal {
                println!(
                    "journal: tablet {} entries ({}), relay confirms {} ({})",
                    local.count,
                    local.short(),
                    relay_journal.count,
                    relay_journal.short()
                );
            }
            // Loud, and a failed exit: no sync can mend this, someone must act.
            let lacks = match device.hand_back()? {
                HandBack::RelayLacks { tablet, relay } => Some(lacks_text(tablet, relay)),
                _ => None,
            };
            if let Some(text) = &lacks {
                println!("{text}");
            }
            if device.wipe_order()?.is_some() {
                match device.wipe(&store.secret_store())? {
                    kiosk_core::device::WipeOutcome::Wiped => println!(
                        "the relay revoked this tablet; everything was receipted and backed up, \
                         so the tablet erased its store and data key"
                    ),
                    kiosk_core::device::WipeOutcome::Waiting {
                        unreceipted,
                        not_backed_up,
                    } => println!(
                        "the relay revoked this tablet; it erases itself once every record has \
                         a receipt and is in a relay backup ({unreceipted} without a receipt, \
                         {not_backed_up} not yet backed up): sync again later"
                    ),
                }
            }
            match lacks {
                Some(_) => Err(
                    "the relay lacks records this tablet can no longer send / reläet saknar \
                     anmälningar som surfplattan inte längre kan skicka"
                        .into(),
                ),
                None => Ok(()),
            }
        }
        Command::Close { store } => close(&store),
        Command::Staff {
            store,
            pin,
            command,
        } => staff_cli::run(&store, &pin, command),
        Command::StaffUnlock {
            store,
            new_pin,
            code,
        } => {
            let device = store.open(DeviceRole::Staff)?;
            match code {
                Some(code) => kiosk_core::staff_unlock::unlock_with_code(
                    &device,
                    &code,
                    &new_pin,
                    Timestamp::now(),
                )?,
                None => kiosk_core::staff_unlock::reset_pin_with_unlock(
                    &device,
                    &new_pin,
                    Timestamp::now(),
                )?,
            };
            println!("new staff PIN set; staff mode is open again");
            Ok(())
        }
        Command::DemoRelayKey => {
            let key = kiosk_core::demo::demo_relay_key();
            println!("{}", hex::encode(key.sealing_key().public_key));
            Ok(())
        }
    }
}

fn close(store: &StoreArgs) -> CliResult {
    let device = store.open(DeviceRole::Kiosk)?;
    let report = device.close_report()?;
    println!(
        "{} captured / {} received ({} without a receipt)",
        report.captured, report.received, report.unreceipted
    );
    println!(
        "journal on this tablet: {} entries, head {}",
        report.journal.count,
        report.journal.short()
    );
    match report.relay_confirmed {
        Some(relay) => println!(
            "journal the relay signed: {} entries, head {}",
            relay.count,
            relay.short()
        ),
        None => println!("the relay has not confirmed a journal yet: sync first"),
    }
    match device.hand_back()? {
        HandBack::Safe if report.is_complete() => {
            println!("complete: the relay holds everything this tablet captured");
            Ok(())
        }
        HandBack::RelayRefuses(refusal) => {
            println!("{}", refused_text(&refusal));
            Err(
                "not complete: the relay refuses this tablet; enroll it again with a new code, \
                 then sync / inte klar: reläet nekar surfplattan; registrera den igen med en \
                 ny kod och synkronisera"
                    .into(),
            )
        }
        HandBack::RelayLacks { tablet, relay } => {
            println!("{}", lacks_text(tablet, relay));
            Err(format!(
                "not complete: the relay lacks {} record(s) this tablet can no longer send; \
                 tell HR / inte klar: reläet saknar {} anmälning(ar) som surfplattan inte \
                 längre kan skicka; kontakta HR",
                tablet.saturating_sub(relay),
                tablet.saturating_sub(relay)
            )
            .into())
        }
        fork @ HandBack::LogFork { .. } => {
            println!("{}", hand_back_text(&fork));
            Err(
                "not complete: the relay's log forked; print `log-evidence` for IT/security \
                 / inte klar: reläets logg visar en annan historik; skriv ut `log-evidence` \
                 till IT/säkerhet"
                    .into(),
            )
        }
        restored @ HandBack::LogRestored { .. } => {
            println!("{}", hand_back_text(&restored));
            Err(
                "not complete: the relay was restored from a backup; tell IT/security, then \
                 `acknowledge-log-restore` / inte klar: reläet återställdes från en \
                 säkerhetskopia; kontakta IT/säkerhet och kör sedan `acknowledge-log-restore`"
                    .into(),
            )
        }
        pending @ HandBack::LogRestoreUnconfirmed { .. } => {
            println!("{}", hand_back_text(&pending));
            Err("not complete: sync again once the witness confirmed the restore".into())
        }
        awaiting @ HandBack::AwaitingWitness { .. } => {
            println!("{}", hand_back_text(&awaiting));
            Err("not complete: sync again once the witness has cosigned".into())
        }
        unconfirmed @ HandBack::Unconfirmed { .. } => {
            println!("{}", hand_back_text(&unconfirmed));
            Err("not complete: sync once since enrolling again".into())
        }
        _ => Err("not complete: sync until every record has a receipt".into()),
    }
}

/// The hand-back answer in English and Swedish, worded once in `user_messages`.
fn hand_back_text(hand_back: &HandBack) -> String {
    let text = kiosk_core::user_messages::hand_back_message(hand_back);
    format!("{} / {}", text.en, text.sv)
}

/// What a tablet the relay refuses says, in English and Swedish.
fn refused_text(refusal: &kiosk_core::device::SyncRefusal) -> String {
    hand_back_text(&HandBack::RelayRefuses(refusal.clone()))
}

/// What a tablet says when the relay holds less of its journal than it captured and it
/// has nothing left to send, in English and Swedish.
fn lacks_text(tablet: u64, relay: u64) -> String {
    hand_back_text(&HandBack::RelayLacks { tablet, relay })
}

fn init(
    store: &StoreArgs,
    role: Role,
    relay_public_key: Option<&str>,
    event_from_relay: bool,
) -> CliResult {
    let role = match role {
        Role::Kiosk => DeviceRole::Kiosk,
        Role::Staff => DeviceRole::Staff,
    };
    let device = store.open(role)?;
    if !event_from_relay {
        device.install_event(&demo_event(), Timestamp::now())?;
    }
    if let Some(hex_key) = relay_public_key {
        hand_pinning_allowed(cfg!(debug_assertions))?;
        let bytes: [u8; 32] = hex::decode(hex_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("--relay-public-key must be 64 hex digits")?;
        device.pin_relay_key(RelaySealingKey::new(bytes)?)?;
    }
    println!("device {}", device.device_id());
    println!("role   {:?}", device.role());
    if event_from_relay {
        println!("event  from the relay, at the first sync after enrolling");
    }
    match device.relay_key()? {
        Some(key) => println!("relay key {} pinned", key.key_id),
        None => {
            println!("not enrolled: capture is refused until `kiosk-device enroll` pins a relay")
        }
    }
    Ok(())
}

/// Pinning a relay key by hand lets a store capture without ever enrolling, which the trust
/// model allows only in development builds: a release build captures once enrolled.
fn hand_pinning_allowed(development_build: bool) -> CliResult {
    if development_build {
        Ok(())
    } else {
        Err(
            "--relay-public-key is for development builds only: enroll with the code HR gave \
             (kiosk-device enroll --code …)"
                .into(),
        )
    }
}

fn capture(store: &StoreArgs, demo: Option<u64>, seed: u64, file: Option<&Path>) -> CliResult {
    let device = store.open(DeviceRole::Kiosk)?;
    let event = device
        .event()?
        .ok_or("no event installed: sync after enrolling (init --event-from-relay), or run init")?;
    let inputs: Box<dyn Iterator<Item = RegistrationInput>> = match (demo, file) {
        (Some(count), _) => {
            let mut generator = RegistrationGenerator::new(event, seed);
            Box::new((0..count).map(move |_| generator.next_input().0))
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)?;
            let inputs: Vec<RegistrationInput> = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a JSON array of form inputs: {e}", path.display()))?;
            Box::new(inputs.into_iter())
        }
        (None, None) => return Err("give --demo N or --file F".into()),
    };
    let mut session = VisitorSession::start(Arc::clone(&device), Timestamp::now())?;
    let mut stdout = std::io::stdout().lock();
    let (mut accepted, mut refused) = (0u64, 0u64);
    for (index, input) in inputs.enumerate() {
        let now = Timestamp::now();
        session.update(input, now)?;
        match session.submit(now) {
            Ok(receipt) => {
                accepted += 1;
                // Two lines a capture, flushed: written only after the durable commit. The
                // first names HR's receipt code and the record; the second is the visitor's
                // receipt, the terminal's thank-you screen (shown once, never stored).
                writeln!(
                    stdout,
                    "captured {} {}",
                    receipt.hr_receipt_code, receipt.registration_id
                )?;
                writeln!(
                    stdout,
                    "receipt {} {} {}",
                    receipt.registration_id,
                    receipt.code(),
                    receipt.page_address.as_deref().unwrap_or("-")
                )?;
                stdout.flush()?;
            }
            Err(kiosk_core::Error::Invalid(errors)) => {
                refused += 1;
                session.reset(now);
                let reasons: Vec<String> = errors.errors.iter().map(ToString::to_string).collect();
                writeln!(
                    stdout,
                    "refused input {} ({})",
                    index + 1,
                    reasons.join(", ")
                )?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    writeln!(stdout, "{accepted} captured, {refused} refused")?;
    Ok(())
}

fn staff(device: &Arc<Device>, pin: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    match pin {
        Some(pin) => kiosk_core::staff::unlock(device, pin, Timestamp::now()).map(|_| ())?,
        None if !kiosk_core::staff::pin_is_set(device)? => {}
        None => return Err("this tablet has a staff PIN: give --pin".into()),
    }
    Ok(())
}

fn status(store: &StoreArgs, pin: Option<&str>) -> CliResult {
    let device = store.open(DeviceRole::Kiosk)?;
    staff(&device, pin)?;
    let counts = device.state_counts()?;
    let head = device.journal_head()?;
    let received = counts.received + counts.deleted;
    println!("device    {}", device.device_id());
    println!(
        "captured  {}   sent {}   received {}",
        counts.captured + counts.sent + received,
        counts.sent + received,
        received
    );
    println!("journal   {} entries, head {}", head.count, head.short());
    if let Some(key) = device.relay_key()? {
        println!("relay key {} pinned", key.key_id);
    }
    if let Some(checkpoint) = device.log_checkpoint()? {
        let size = checkpoint.lines().nth(1).unwrap_or("?");
        println!("log       checkpoint of {size} leaves held");
    }
    let witnesses = device.witness_keys()?.len();
    if witnesses > 0 {
        let witnessed = device.witnessed_checkpoint()?;
        let size = witnessed
            .as_deref()
            .and_then(|note| note.lines().nth(1))
            .unwrap_or("0");
        println!("witness   {witnesses} required, cosigned {size} leaves");
    }
    println!("{}", hand_back_text(&device.hand_back()?));
    Ok(())
}

fn log_evidence(store: &StoreArgs, pin: Option<&str>) -> CliResult {
    let device = store.open(DeviceRole::Kiosk)?;
    staff(&device, pin)?;
    match device.log_fork()? {
        Some(evidence) => {
            print!("{}", evidence.to_text());
            Ok(())
        }
        None => Err(
            "this tablet saw no fork of the relay's log / surfplattan har inte sett \
                     någon avvikande historik i reläets logg"
                .into(),
        ),
    }
}

fn journal(store: &StoreArgs, pin: Option<&str>) -> CliResult {
    let device = store.open(DeviceRole::Kiosk)?;
    staff(&device, pin)?;
    for entry in device.journal_entries()? {
        println!(
            "{:>6}  {}  {} change(s)  {}",
            entry.seq,
            entry.doc_id,
            entry.change_hashes.len(),
            hex::encode(&entry.hash[..8])
        );
    }
    let head = device.verify_journal()?;
    println!(
        "journal verified: {} entries, head {}",
        head.count,
        hex::encode(head.head)
    );
    Ok(())
}

fn demo(count: usize, seed: u64, lang: Language) -> Result<(), Box<dyn std::error::Error>> {
    let event = demo_event();
    let published = event.current_form()?;
    let form = &published.form;
    println!("{} — {}", event.name.get(lang), event.venue);
    println!(
        "{} {} … {}",
        if lang == Language::Swedish {
            "Datum:"
        } else {
            "Dates:"
        },
        event.starts_on,
        event
            .ends_on
            .as_ref()
            .map_or("–".to_owned(), ToString::to_string)
    );
    println!("form version {}", published.version);
    let areas: Vec<&str> = form
        .interest_areas
        .iter()
        .map(|c| c.label.get(lang))
        .collect();
    println!("{}", areas.join(" · "));
    println!();

    let mut generator = RegistrationGenerator::new(event.clone(), seed);
    let device_key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]).verifying_key();
    for _ in 0..count {
        let registration = generator.next_registration()?;
        let mut document =
            RegistrationDocument::create(&registration, &device_key, registration.captured_at)?;
        let person = &registration.person;
        let interests: Vec<&str> = registration
            .interests
            .iter()
            .filter_map(|code| form.interest_area(code))
            .map(|c| c.label.get(lang))
            .collect();
        println!(
            "{} {} | {} | {} | {} | {} bytes{}{}",
            person.given_name,
            person.family_name,
            person.email.as_deref().unwrap_or("–"),
            person.phone.as_deref().unwrap_or("–"),
            interests.join(", "),
            document.save().len(),
            if registration.in_talent_pool() {
                " | talangpool/talent pool"
            } else {
                ""
            },
            if registration.restricted {
                " | SKYDDAD/RESTRICTED"
            } else {
                ""
            },
        );
    }

    println!();
    let refused = RegistrationInput {
        language: Some(lang),
        given_name: "Åsa".into(),
        family_name: "L1nd".into(),
        phone: "070-123 45".into(),
        interests: vec!["astronaut".into()],
        ..RegistrationInput::default()
    };
    let (_, context) = generator.next_input();
    if let Err(errors) = validate(&refused, &event, &context) {
        for error in &errors.errors {
            println!("✗ {}", error.message(lang));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::hand_pinning_allowed;

    #[test]
    fn a_release_build_refuses_a_relay_key_pinned_without_enrolling() {
        let refused = hand_pinning_allowed(false).expect_err("release builds refuse");
        assert!(refused.to_string().contains("enroll"), "{refused}");
        assert!(
            hand_pinning_allowed(true).is_ok(),
            "development builds allow it"
        );
    }
}
