//! The `witness` command: its configuration, its key (`witness.key`, made 0600 on first
//! run), the loop, and what it tells the operator. Exit codes: 0 done (`--once`), 1 an
//! error to retry or fix, [`EXIT_REFUSED`] a refusal for good.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use kiosk_core::tlog::cosignature::CosignatureSigner;
use kiosk_core::tlog::note::NoteVerifier;

use super::{HttpLogSource, LogSource, Round, Witness, WitnessError};
use crate::private_files;

/// The witness's Ed25519 cosigning key in its directory (32 raw bytes, 0600).
pub const KEY_FILE: &str = "witness.key";
/// The exit code of a witness that refused: the relay showed inconsistent trees.
pub const EXIT_REFUSED: u8 = 3;

/// The command line of `kiosk-sync-server witness` (flags or environment; no config file,
/// since the witness runs on another machine than the relay).
#[derive(Debug, clap::Args)]
pub struct WitnessArgs {
    /// The relay's base URL, e.g. https://relay.example.se. [env: KIOSK_WITNESS_RELAY]
    #[arg(
        long,
        env = "KIOSK_WITNESS_RELAY",
        value_name = "URL",
        required_unless_present = "show_key"
    )]
    pub relay: Option<String>,
    /// The log's verifier key (vkey text `<origin>+<key id>+<base64>`), from the relay's
    /// operator through a channel you trust. [env: KIOSK_WITNESS_LOG_KEY]
    #[arg(
        long,
        env = "KIOSK_WITNESS_LOG_KEY",
        value_name = "VKEY",
        required_unless_present = "show_key",
        value_parser = log_vkey_arg
    )]
    pub log_key: Option<NoteVerifier>,
    /// This witness's key name, e.g. arkiv.example.se/kiosk-witness (no spaces or plus
    /// signs). [env: KIOSK_WITNESS_NAME]
    #[arg(long, env = "KIOSK_WITNESS_NAME", value_name = "NAME")]
    pub name: String,
    /// The witness's directory: its key (witness.key), its state (state.json) and any
    /// evidence (evidence-*/); 0700, files 0600. Back it up; never delete it.
    /// [env: KIOSK_WITNESS_DIR] [default: kiosk-witness]
    #[arg(
        long,
        env = "KIOSK_WITNESS_DIR",
        value_name = "DIR",
        default_value = "kiosk-witness"
    )]
    pub dir: PathBuf,
    /// Time between rounds: a whole number and s, m, h or d (1m to 365d).
    /// [env: KIOSK_WITNESS_EVERY] [default: 5m]
    #[arg(long, env = "KIOSK_WITNESS_EVERY", value_name = "DURATION", default_value = "5m", value_parser = crate::observe::parse_age)]
    pub every: Duration,
    /// PEM root certificates of a relay whose certificate a private CA issued (else the
    /// public Mozilla roots). [env: KIOSK_WITNESS_CA_FILE]
    #[arg(long, env = "KIOSK_WITNESS_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// One round, then exit (for a timer): 0 done, 1 failed (retry), 3 refused.
    #[arg(long)]
    pub once: bool,
    /// Print this witness's verifier key (making its key on first run) and exit: give it
    /// to the relay's operator (`witness_keys`) and to whoever configures tablets.
    #[arg(long)]
    pub show_key: bool,
}

/// `--log-key`: a log vkey (`+` allowed in its base64).
fn log_vkey_arg(text: &str) -> Result<NoteVerifier, String> {
    kiosk_core::cosigned_checkpoint::parse_log_vkey(text.trim())
        .map_err(|e| format!("not a log verifier key: {e}"))
}

/// A witness vkey as a command-line value (`verify-log --witness`).
pub fn witness_vkey_arg(
    text: &str,
) -> Result<kiosk_core::tlog::cosignature::CosignatureVerifier, String> {
    kiosk_core::cosigned_checkpoint::parse_witness_vkey(text.trim())
        .map_err(|e| format!("not a witness verifier key: {e}"))
}

/// Runs the command as its flags say; the process's exit code.
pub fn command(args: WitnessArgs) -> u8 {
    if args.show_key {
        return match show_key(&args.dir, &args.name) {
            Ok(vkey) => {
                println!("{vkey}");
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                Outcome::Failed.exit_code()
            }
        };
    }
    let (Some(relay_url), Some(log_key)) = (args.relay, args.log_key) else {
        eprintln!("error: --relay and --log-key are required");
        return Outcome::Failed.exit_code();
    };
    let config = WitnessConfig {
        relay_url,
        log_key,
        name: args.name,
        dir: args.dir,
        every: args.every,
        ca_file: args.ca_file,
    };
    run(&config, args.once).exit_code()
}

/// Everything the witness needs; from [`WitnessArgs`].
#[derive(Debug, Clone)]
pub struct WitnessConfig {
    /// The relay's base URL, e.g. `https://relay.example.se`.
    pub relay_url: String,
    /// The log's verifier key (vkey text).
    pub log_key: NoteVerifier,
    /// This witness's key name, e.g. `arkiv.example.se/kiosk-witness`.
    pub name: String,
    /// Its directory: `witness.key`, `state.json`, `evidence-*/`.
    pub dir: PathBuf,
    /// Time between rounds.
    pub every: Duration,
    /// PEM root certificates for a relay with a private CA (else the Mozilla roots).
    pub ca_file: Option<PathBuf>,
}

/// Loads the witness's key from `dir`, making the directory (0700) and the key (0600) on
/// first run, and tightening what a copy left open.
pub fn load_signer(dir: &Path, name: &str) -> Result<CosignatureSigner, String> {
    private_files::create_dir(dir)
        .map_err(|e| format!("cannot create the witness directory {}: {e}", dir.display()))?;
    private_files::secure_data_dir(dir).map_err(|e| e.to_string())?;
    let secret = crate::keys::read_or_make_secret(&dir.join(KEY_FILE))
        .map_err(|e| format!("cannot read or make the witness key: {e}"))?;
    CosignatureSigner::new(name, &SigningKey::from_bytes(&secret)).map_err(|e| {
        format!("the witness name is not a valid key name (no spaces or plus signs): {e}")
    })
}

/// Prints the witness's verifier key (for the relay's `witness_keys` and tablets) and
/// returns.
pub fn show_key(dir: &Path, name: &str) -> Result<String, String> {
    Ok(load_signer(dir, name)?.verifier().to_string())
}

/// What the command ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `--once` and the round went through.
    Done,
    /// An error: retry, or fix the configuration.
    Failed,
    /// The relay showed inconsistent trees; the witness will not cosign again.
    Refused,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Failed => 1,
            Outcome::Refused => EXIT_REFUSED,
        }
    }
}

/// Runs the witness: one round with `once`, else a round every `config.every` until a
/// refusal. Transient errors are logged and retried next round.
pub fn run(config: &WitnessConfig, once: bool) -> Outcome {
    let signer = match load_signer(&config.dir, &config.name) {
        Ok(signer) => signer,
        Err(e) => {
            tracing::error!("{e}");
            return Outcome::Failed;
        }
    };
    let ca = match &config.ca_file {
        None => None,
        Some(path) => match std::fs::read(path) {
            Ok(pem) => Some(pem),
            Err(e) => {
                tracing::error!("cannot read the CA file {}: {e}", path.display());
                return Outcome::Failed;
            }
        },
    };
    let source = match HttpLogSource::new(&config.relay_url, ca.as_deref()) {
        // Named when fetching, so the relay can serve the tree the other witnesses just
        // cosigned and all converge on one size.
        Ok(source) => source.naming(&kiosk_core::protocol::witness_key_name(
            signer.name(),
            signer.verifier().key_id(),
        )),
        Err(e) => {
            tracing::error!("{e}");
            return Outcome::Failed;
        }
    };
    tracing::info!(
        witness_key = %signer.verifier(),
        log_key = %config.log_key,
        relay = %config.relay_url,
        "witness starting"
    );
    let mut witness = match Witness::open(source, config.log_key.clone(), signer, &config.dir) {
        Ok(witness) => witness,
        Err(e) => return report_error(&e),
    };
    loop {
        let now = u64::try_from(crate::now_ms() / 1000).unwrap_or(0);
        match witness.round(now) {
            Ok(round) => report_round(&round),
            Err(e) if e.is_refusal() => return report_error(&e),
            Err(e) => {
                let outcome = report_error(&e);
                if once {
                    return outcome;
                }
            }
        }
        if once {
            return Outcome::Done;
        }
        std::thread::sleep(config.every);
    }
}

/// Runs rounds of `witness` against any source; for tests of the loop's outcome.
pub fn round_outcome<S: LogSource>(witness: &mut Witness<S>, now: u64) -> Outcome {
    match witness.round(now) {
        Ok(round) => {
            report_round(&round);
            Outcome::Done
        }
        Err(e) => report_error(&e),
    }
}

fn report_round(round: &Round) {
    match round {
        Round::FirstCosigned { size } => tracing::info!(
            size,
            "cosigned the first checkpoint seen (trusted on first use: compare its root with the relay operator's)"
        ),
        Round::Cosigned { from, size } => {
            tracing::info!(from, size, "cosigned a consistent larger tree")
        }
        Round::Unchanged { size, resubmitted } => {
            tracing::debug!(size, resubmitted, "the log has not grown")
        }
        Round::Stale { size, held } => tracing::info!(
            size,
            held,
            "the relay served an older tree, a prefix of the one held: skipped, tried next round"
        ),
    }
}

/// Logs an error; a refusal loudly, in Swedish and English, on stderr as well (no personal
/// data: sizes, hashes and paths only).
fn report_error(error: &WitnessError) -> Outcome {
    if error.is_refusal() {
        tracing::error!("WITNESS REFUSED: {error}");
        eprintln!(
            "\n*** VITTNET VÄGRAR / WITNESS REFUSED ***\n\
             Reläets transparenslogg visar en historik som inte stämmer med den vittnet redan \
             har kontrasignerat. Vittnet kontrasignerar aldrig mer från den här katalogen.\n\
             The relay's transparency log shows a history inconsistent with one this witness \
             already cosigned. This witness will never cosign again from this directory.\n\
             {error}\n\
             Kontakta informationssäkerhetsansvarig och dataskyddsombudet; rör inte \
             bevismappen. / Call the security officer and the data-protection officer; leave \
             the evidence folder untouched.\n"
        );
        return Outcome::Refused;
    }
    if let WitnessError::LogBehind { .. } = error {
        tracing::error!("the relay's log went back: {error}");
        eprintln!(
            "\n*** RELÄETS LOGG HAR GÅTT TILLBAKA / THE RELAY'S LOG WENT BACK ***\n\
             Reläets transparenslogg är mindre än den vittnet redan har kontrasignerat: den har \
             återställts från en säkerhetskopia eller rullats tillbaka. Poster som tabletter \
             fått kvitto på kan saknas.\n\
             The relay's transparency log is smaller than the tree this witness already \
             cosigned: it was restored from a backup or rolled back. Entries tablets hold \
             receipts for may be missing.\n\
             {error}\n\
             Kontakta reläets driftansvariga. / Call the relay's operators.\n"
        );
        return Outcome::Failed;
    }
    tracing::warn!("witness round failed: {error}");
    Outcome::Failed
}
