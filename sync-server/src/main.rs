//! `kiosk-sync-server`: runs the relay, and administers it until the HR console exists.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_sync_server::access_checkpoint;
use kiosk_sync_server::client_address::{Cidr, TrustedProxies};
use kiosk_sync_server::config::{
    DatabaseUrl, Scheme, ServeConfig, Settings, check_log_filter, gather,
};
use kiosk_sync_server::daily_checkpoint;
use kiosk_sync_server::enrollment::{self, create_code};
use kiosk_sync_server::keys::RelayKeys;
use kiosk_sync_server::log_format::{self, LogFormat};
use kiosk_sync_server::observe;
use kiosk_sync_server::private_files;
use kiosk_sync_server::storage::{
    AccessLogPruning, PgStore, RelayStore, ReportedWatermark, SqliteStore,
};
use kiosk_sync_server::tls_reload::{self, ReloadingCertificate};
use kiosk_sync_server::transparency::checkpoint::LogKey;
use kiosk_sync_server::transparency::checkpoint::refuse_lost_log_key;
use kiosk_sync_server::{
    AppState, now_ms, serve, serve_tls_with, serve_with, shutdown_signal, store_demo_event,
};

/// How settings are merged, shown under `--help`.
const PRECEDENCE: &str = "Each setting is taken from the first of: its command-line flag, its \
environment variable, the config file (--config, else KIOSK_CONFIG; read by `serve`, \
`create-code`, `remove`, `revoke`, `backup`, `restore`, `export-keys`, `import-keys`, `device-report`, `unlock-staff-pin`, \
`verify-access-log`, `access-log`, `access-log-checkpoint` and `prune-access-log`, not by \
`demo`), the default. \
Relative paths in the config file are relative to the file's directory. The log filter is \
KIOSK_LOG (else RUST_LOG), the `log` key, or \"info,tower_http=info\".";

#[derive(Parser)]
#[command(
    version,
    about = "The Kiosk relay: takes signed captures from enrolled tablets and keeps them for central HR",
    after_long_help = PRECEDENCE
)]
struct Cli {
    /// Where the relay keeps its database and keys (created if missing; keys are 0600).
    /// [env: KIOSK_DATA_DIR] [config file: data_dir] [default: kiosk-data]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Keep the store in this PostgreSQL database (postgres://user@host:port/dbname)
    /// instead of the SQLite file in the data directory, which still holds the relay's
    /// keys. Several relay instances may share one database. Not read by `demo`.
    /// [env: KIOSK_DATABASE_URL] [config file: database_url] [default: SQLite]
    #[arg(long, global = true, value_name = "URL", value_parser = database_url_arg)]
    database_url: Option<DatabaseUrl>,
    #[command(subcommand)]
    command: Command,
}

/// The config file option of the commands that run against a real relay's data.
#[derive(clap::Args)]
struct ConfigFile {
    /// A TOML file with the relay's settings (see sync-server/relay.example.toml); flags and
    /// environment variables override it. [env: KIOSK_CONFIG]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// How `serve` bounds its connections (see the README's "Connections").
#[derive(clap::Args)]
struct LimitFlags {
    /// Seconds a client has to send a request's head, after connecting or after the
    /// previous answer; an idle keep-alive connection is closed after it too.
    /// [env: KIOSK_HEADER_READ_TIMEOUT_SECS] [config file: header_read_timeout_secs]
    /// [default: 10]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_read_timeout_secs: Option<u64>,
    /// Seconds a client has to send a request's whole body.
    /// [env: KIOSK_BODY_READ_TIMEOUT_SECS] [config file: body_read_timeout_secs]
    /// [default: 120]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_read_timeout_secs: Option<u64>,
    /// Seconds without a byte in either direction after which a connection is closed.
    /// [env: KIOSK_IDLE_TIMEOUT_SECS] [config file: idle_timeout_secs] [default: 60]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout_secs: Option<u64>,
    /// Seconds a client has to complete the TLS handshake.
    /// [env: KIOSK_TLS_HANDSHAKE_TIMEOUT_SECS] [config file: tls_handshake_timeout_secs]
    /// [default: 10]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    tls_handshake_timeout_secs: Option<u64>,
    /// Connections served at once; more wait in the listen queue. Keep it well under the
    /// process's open-file limit (`ulimit -n`).
    /// [env: KIOSK_MAX_CONNECTIONS] [config file: max_connections] [default: 256]
    #[arg(long, value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..=65536))]
    max_connections: Option<u64>,
    /// Connections one client address (an IPv6 client by its /64) is served at once; more
    /// are closed at once, so one client cannot take every place. Raise it to
    /// max-connections behind a proxy on the same machine.
    /// [env: KIOSK_MAX_CONNECTIONS_PER_CLIENT] [config file: max_connections_per_client]
    /// [default: 64]
    #[arg(long, value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..=65536))]
    max_connections_per_client: Option<u64>,
}

/// What `serve` tells its monitoring (see the README's "Monitoring"). Flags and
/// environment only.
#[derive(clap::Args)]
struct MonitorFlags {
    /// /readyz answers 503 while the data directory's file system has less free space
    /// than this (e.g. 1GiB, 500MiB). [env: KIOSK_MIN_FREE_DISK] [default: 1GiB]
    #[arg(long, env = "KIOSK_MIN_FREE_DISK", value_name = "SIZE", value_parser = observe::parse_size)]
    min_free_disk: Option<u64>,
    /// /readyz answers 503 while the newest verified backup (the `backup` command, or
    /// `backup-confirm` on PostgreSQL) is older than this (e.g. 26h, 2d); off unless set.
    /// [env: KIOSK_MAX_BACKUP_AGE]
    #[arg(long, env = "KIOSK_MAX_BACKUP_AGE", value_name = "AGE", value_parser = observe::parse_age)]
    max_backup_age: Option<std::time::Duration>,
    /// Serve /metrics (and /readyz) without a token on a separate plain-HTTP listener at
    /// this address; bind it where only the monitoring system reaches. Off unless set.
    /// [env: KIOSK_METRICS_LISTEN]
    #[arg(long, env = "KIOSK_METRICS_LISTEN", value_name = "ADDRESS")]
    metrics_listen: Option<SocketAddr>,
    /// Serve /metrics on the relay's own listener to callers sending the token in this
    /// file (first line) as `Authorization: Bearer …`. Off unless set.
    /// [env: KIOSK_METRICS_TOKEN_FILE]
    #[arg(long, env = "KIOSK_METRICS_TOKEN_FILE", value_name = "FILE")]
    metrics_token_file: Option<PathBuf>,
}

/// `serve`'s scheduled backups (see the README's "Scheduled backups").
#[derive(clap::Args)]
struct BackupFlags {
    /// Back the SQLite store up into this folder on a schedule: each backup written 0600
    /// under a temporary name, reopened and checked whole before it counts. SQLite only.
    /// [env: KIOSK_BACKUP_DIR] [config file: backup_dir]
    #[arg(long, value_name = "DIR")]
    backup_dir: Option<PathBuf>,
    /// How often: a whole number and s, m, h or d (1m to 31d).
    /// [env: KIOSK_BACKUP_EVERY] [config file: backup_every] [default: 1d]
    #[arg(long, value_name = "DURATION", value_parser = backup_every_arg)]
    backup_every: Option<std::time::Duration>,
    /// How many scheduled backups to keep; older ones are removed after a new one verifies.
    /// [env: KIOSK_BACKUP_KEEP] [config file: backup_keep] [default: 7]
    #[arg(long, value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..=1000))]
    backup_keep: Option<u64>,
    /// Let tablets erase their sealed copies only for backups on another filesystem than
    /// the data directory's (others are kept but do not count).
    /// [env: KIOSK_BACKUP_OFFSITE_ONLY=true] [config file: backup_offsite_only = true]
    #[arg(long)]
    backup_offsite_only: bool,
}

fn backup_every_arg(text: &str) -> Result<std::time::Duration, String> {
    kiosk_sync_server::backup_settings::parse_every(text).ok_or_else(|| {
        format!(
            "expected {}",
            kiosk_sync_server::backup_settings::EXPECT_EVERY
        )
    })
}

/// How `serve` logs and which reverse proxies it believes (see the README's "Logs" and
/// "Behind a reverse proxy").
#[derive(clap::Args)]
struct EdgeFlags {
    /// Log lines as text or as one JSON object each; every line of a request carries its
    /// id, also sent back in X-Request-Id.
    /// [env: KIOSK_LOG_FORMAT] [config file: log_format] [default: text]
    #[arg(long, value_name = "FORMAT", value_parser = log_format_arg)]
    log_format: Option<LogFormat>,
    /// An address range (CIDR, e.g. 10.0.0.0/8, or one address) of a reverse proxy whose
    /// X-Forwarded-For or Forwarded header names the client; repeatable. From any other
    /// address those headers are ignored. [env: KIOSK_TRUSTED_PROXIES, commas between]
    /// [config file: trusted_proxies = [...]] [default: none]
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = cidr_arg)]
    trusted_proxies: Vec<Cidr>,
}

fn log_format_arg(text: &str) -> Result<LogFormat, String> {
    text.parse()
}

fn cidr_arg(text: &str) -> Result<Cidr, String> {
    text.parse()
}

// Parsed once per process: the size of `serve`'s settings costs nothing worth boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the relay on loopback with the demo event, printing enrollment codes for a kiosk
    /// and for a staff tablet.
    Demo {
        /// Address to listen on. Plain HTTP is served only on loopback.
        #[arg(long, env = "KIOSK_LISTEN", default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
    },
    /// Run the relay: HTTPS when given a certificate and key, plain HTTP on loopback only
    /// (or anywhere with --dev-plain-http, for development).
    #[command(after_long_help = PRECEDENCE)]
    Serve {
        #[command(flatten)]
        config: ConfigFile,
        /// Address and port to listen on. A non-loopback address needs --tls-cert and
        /// --tls-key (or --dev-plain-http).
        /// [env: KIOSK_LISTEN] [config file: listen] [default: 127.0.0.1:8700]
        #[arg(long, value_name = "ADDRESS")]
        listen: Option<SocketAddr>,
        /// PEM file with the relay's certificate chain, leaf first; with --tls-key the relay
        /// serves HTTPS. [env: KIOSK_TLS_CERT] [config file: tls_cert]
        #[arg(long, value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// PEM file with the private key of the certificate (PKCS#8, PKCS#1 or SEC1).
        /// [env: KIOSK_TLS_KEY] [config file: tls_key]
        #[arg(long, value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on a non-loopback address: development only, since tablets'
        /// requests then cross the network unencrypted.
        /// [env: KIOSK_DEV_PLAIN_HTTP=true] [config file: dev_plain_http = true]
        #[arg(long)]
        dev_plain_http: bool,
        /// Log filter, e.g. "info" or "info,tower_http=debug".
        /// [env: KIOSK_LOG, else RUST_LOG] [config file: log] [default: info,tower_http=info]
        #[arg(long, value_name = "FILTER", value_parser = log_filter)]
        log: Option<String>,
        #[command(flatten)]
        edge: EdgeFlags,
        #[command(flatten)]
        limits: LimitFlags,
        #[command(flatten)]
        monitor: MonitorFlags,
        #[command(flatten)]
        backups: BackupFlags,
        /// Record this data directory's relay-log.key (and log origin) as the transparency
        /// log's key in place of the one the database records, while the log is still empty.
        /// Tablets enrolled since the first start carry the old key and must enroll again.
        /// Without it, a missing or other log key is refused.
        #[arg(long)]
        new_log_key: bool,
    },
    /// Create an enrollment code for an event.
    CreateCode {
        #[command(flatten)]
        config: ConfigFile,
        #[arg(long)]
        event: String,
        #[arg(long, value_enum, default_value_t = Role::Kiosk)]
        role: Role,
        /// The recruiter a staff tablet is bound to (required for staff codes).
        #[arg(long)]
        recruiter: Option<String>,
        /// How many tablets may enroll with the code.
        #[arg(long, default_value_t = 3)]
        uses: u32,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 72)]
        valid_hours: i64,
        /// The relay's address as tablets reach it: also print the enrollment QR code
        /// (relay, code and the relay's sealing key id) and its text.
        #[arg(long, value_name = "URL")]
        relay: Option<String>,
    },
    /// Remove a registration: its bytes are erased, a removal record citing the reason is
    /// kept and access-logged, and every tablet erases its copy on its next sync and never
    /// sends it again.
    Remove {
        #[command(flatten)]
        config: ConfigFile,
        /// The registration id.
        #[arg(long)]
        registration: String,
        /// Why, citing the decision (e.g. "withdrawn by the visitor 2026-11-22").
        #[arg(long)]
        reason: String,
        /// Who removes it, for the access log.
        #[arg(long, default_value = "relay-operator")]
        by: String,
    },
    /// Create an HR administrator and print a one-time password, which must be replaced at
    /// the first login. There is no default password.
    CreateAdmin {
        #[command(flatten)]
        config: ConfigFile,
        /// Login name: 3–64 lower-case letters, digits, '.', '-' or '_'.
        #[arg(long)]
        username: String,
        /// The name shown in the console and the access log.
        #[arg(long)]
        name: String,
    },
    /// Revoke a device: its later pushes are quarantined and it is told to wipe itself.
    Revoke {
        #[command(flatten)]
        config: ConfigFile,
        /// The device id (hex public key) as the device CLI prints it.
        #[arg(long)]
        device: String,
    },
    /// Back up the relay's store while it runs (SQLite's online backup API) to a new file,
    /// and record the backup's watermark: tablets then erase their sealed copies of what it
    /// holds.
    Backup {
        #[command(flatten)]
        config: ConfigFile,
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup in place of the relay's store, under a new epoch so tablets send again
    /// whatever it lacks, replaying the removals, talent-pool withdrawals and legal holds made
    /// since. The relay must be stopped; the replaced store is moved aside. A backup older
    /// than the newest watermark reported to tablets (they erased their copies) is refused
    /// unless forced; the records it lacks and the tablets to enroll again are listed.
    Restore {
        #[command(flatten)]
        config: ConfigFile,
        /// The backup file to restore.
        #[arg(long)]
        from: PathBuf,
        /// Restore even a backup older than what tablets were told is backed up, losing the
        /// records listed.
        #[arg(long)]
        force: bool,
    },
    /// Write the relay's signing key and sealing seed to a new file, encrypted under a
    /// passphrase (age, scrypt; ASCII): keep it offline and apart from the backups. The
    /// passphrase is read from --passphrase-file, else asked twice on the terminal (or read
    /// from standard input's first line), never taken from the command line.
    ExportKeys {
        #[command(flatten)]
        config: ConfigFile,
        /// The file to write (mode 0600); it must not exist yet.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        /// A file whose first line is the passphrase (at least 12 characters).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Put keys `export-keys` wrote into the data directory (mode 0600), which must hold none
    /// or the same ones: the first step of restoring a relay on a new machine. A wrong
    /// passphrase or a damaged file writes nothing.
    ImportKeys {
        #[command(flatten)]
        config: ConfigFile,
        /// The file `export-keys` wrote.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// A file whose first line is the passphrase.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Rotate the relay's keys. Without flags: make new signing and sealing keys; the
    /// current ones stay as the previous keys, so tablets that have not synced since still
    /// get answers they can check, and their captures still open. Each tablet adopts the
    /// new keys at its next sync (an announcement signed by the key it pins); new enrollment
    /// codes carry the new key id. Restart the relay (every instance, with the same files)
    /// to take the new keys. With `--retire-previous`: forget the previous keys once every
    /// active tablet has adopted the new ones (refused before, naming how many have not).
    RotateKeys {
        #[command(flatten)]
        config: ConfigFile,
        /// End the rotation under way: retire the previous keys.
        #[arg(long)]
        retire_previous: bool,
        /// With --retire-previous: retire even though active tablets still pin the previous
        /// keys (they must then be enrolled again; their unsent captures are refused).
        #[arg(long, requires = "retire_previous")]
        force: bool,
    },
    /// PostgreSQL only, before the database's backup starts: prints the mark (epoch and last
    /// commit number) that every backup starting afterwards holds. Give it to
    /// `backup-confirm` once the backup has completed.
    BackupMark {
        #[command(flatten)]
        config: ConfigFile,
    },
    /// PostgreSQL only, once a backup started after `backup-mark` has completed (its WAL
    /// archived): records that it holds every commit up to the mark, so tablets erase their
    /// sealed copies of those commits at their next sync. Only confirm a backup you could
    /// restore.
    BackupConfirm {
        #[command(flatten)]
        config: ConfigFile,
        /// The mark `backup-mark` printed (`EPOCH:COMMIT`).
        #[arg(long)]
        mark: String,
    },
    /// PostgreSQL only, after the database was restored to a point in time or a replica was
    /// promoted: gives the store a new epoch with no backup watermark, so every tablet
    /// sends again whatever it still holds that the restored database may lack.
    NewEpoch {
        #[command(flatten)]
        config: ConfigFile,
    },
    /// The relay's side of an event's closing count for one device: what it received, and
    /// the journal head it computed (compare with `kiosk-device close` on the tablet).
    DeviceReport {
        #[command(flatten)]
        config: ConfigFile,
        /// The device id (hex public key) as the device CLI prints it.
        #[arg(long)]
        device: String,
    },
    /// Reopen a staff tablet's PIN locked out after wrong attempts: signs an unlock bound to
    /// the tablet and a new counter. It reaches the tablet with its next sync; the code text
    /// printed serves a tablet that cannot sync. The recruiter then chooses a new PIN.
    UnlockStaffPin {
        #[command(flatten)]
        config: ConfigFile,
        /// The staff tablet's device id (hex public key).
        #[arg(long)]
        device: String,
    },
    /// Witness the relay's transparency log from another machine (the archive's, the
    /// data-protection officer's): verify each new checkpoint's signature and its
    /// consistency with the last one cosigned, then cosign it and hand the cosignature to
    /// the relay. Refuses for good (exit code 3) when the relay shows inconsistent trees.
    Witness(kiosk_sync_server::witness::run::WitnessArgs),
    /// Check the access log's hash chain from its first entry to its last, and that it
    /// still holds what each given checkpoint names (nothing cut off its end).
    VerifyAccessLog {
        #[command(flatten)]
        config: ConfigFile,
        /// A checkpoint file `access-log-checkpoint` (or `serve`, daily) wrote; repeatable.
        #[arg(long, value_name = "FILE")]
        checkpoint: Vec<PathBuf>,
    },
    /// Check the transparency log: every leaf decoded and hashed again, the tree rebuilt,
    /// every stored subtree and the head compared with it, and, with --checkpoint, a saved
    /// signed checkpoint's signature (the log key's), its root and the log's consistency
    /// with it. Names the first leaf or node that disagrees and exits non-zero.
    VerifyLog {
        #[command(flatten)]
        config: ConfigFile,
        /// A signed checkpoint saved from GET /v1/log/checkpoint.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// Require the checkpoint to carry a valid cosignature of this witness (its vkey,
        /// as `witness --show-key` prints it); repeatable: every one named is required.
        #[arg(long, value_name = "VKEY", requires = "checkpoint", value_parser = kiosk_sync_server::witness::run::witness_vkey_arg)]
        witness: Vec<kiosk_core::tlog::cosignature::CosignatureVerifier>,
        /// With --witness: refuse a cosignature older than this (`7d`, `12h`, `30m`, `90s`;
        /// `0` accepts any age). A witness that cosigned nothing newer may have stopped
        /// watching the log.
        #[arg(long, value_name = "AGE", default_value = "7d", value_parser = kiosk_sync_server::transparency::verify::cosignature_age_arg)]
        max_cosignature_age: u64,
    },
    /// Sign the access log's length and head and write them to a file to keep outside the
    /// database (`serve` writes one a day to <data dir>/access-checkpoints/).
    AccessLogCheckpoint {
        #[command(flatten)]
        config: ConfigFile,
        /// The file to write; it must not exist yet.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Remove the access-log entries older than the log's retention
    /// (access_log_retention_months, the agency's decision) from the start of the log, and
    /// print how many went and where the log now starts. `serve` does this daily.
    PruneAccessLog {
        #[command(flatten)]
        config: ConfigFile,
        /// Months entries are kept. [env: KIOSK_ACCESS_LOG_RETENTION_MONTHS]
        /// [config file: access_log_retention_months] [default: 60]
        #[arg(long, value_name = "MONTHS", value_parser = clap::value_parser!(u32).range(12..=1200))]
        retention_months: Option<u32>,
    },
    #[command(flatten)]
    UserAccess(UserAccessCommand),
    /// List access-log entries: number, time (UTC), who, recruiter, action, registration.
    AccessLog {
        #[command(flatten)]
        config: ConfigFile,
        /// Start after this entry number.
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

/// Taking an HR user's access away from the command line (as the console's users page and
/// the API do; the access log names `--by`).
#[derive(Subcommand)]
enum UserAccessCommand {
    /// Disable an HR user: their sessions and API tokens end at once and they cannot log in
    /// until enabled again. The last enabled administrator cannot be disabled.
    DisableUser {
        #[command(flatten)]
        target: UserTarget,
        /// Why (kept with the change).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Enable a disabled HR user again (their old sessions and tokens stay ended).
    EnableUser {
        #[command(flatten)]
        target: UserTarget,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Take a role (admin, recruiter or archivist) from an HR user, saying why. Taking the
    /// recruiter role also ends their event assignments and their staff tablets' pulls.
    RemoveRole {
        #[command(flatten)]
        target: UserTarget,
        #[arg(long)]
        role: String,
        #[arg(long)]
        reason: String,
    },
    /// Withdraw an HR user's restricted clearance, saying why.
    RemoveClearance {
        #[command(flatten)]
        target: UserTarget,
        #[arg(long)]
        reason: String,
    },
    /// Give an HR user a new one-time password, printed once: it opens nothing but a
    /// password change, and their sessions and API tokens end.
    ResetPassword {
        #[command(flatten)]
        target: UserTarget,
        #[arg(long)]
        reason: Option<String>,
    },
    /// List an HR user's API tokens: id, label, created, expires, last used (UTC).
    ListTokens {
        #[command(flatten)]
        target: UserTarget,
    },
    /// Revoke one of an HR user's API tokens, by the id `list-tokens` prints.
    RevokeToken {
        #[command(flatten)]
        target: UserTarget,
        #[arg(long)]
        token: u64,
        #[arg(long)]
        reason: Option<String>,
    },
}

/// The user an access command changes, and who changes it.
#[derive(clap::Args)]
struct UserTarget {
    #[command(flatten)]
    config: ConfigFile,
    /// The HR user's username.
    #[arg(long)]
    username: String,
    /// Who makes the change, for the access log.
    #[arg(long, default_value = "relay-operator")]
    by: String,
}

fn user_access_command(
    data_dir_flag: Settings,
    command: UserAccessCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    use kiosk_sync_server::hr::user_access::{AccessRequest, ChangedBy, change_access};
    let (target, request, reason) = match command {
        UserAccessCommand::DisableUser { target, reason } => {
            (target, Some(AccessRequest::Disable), reason)
        }
        UserAccessCommand::EnableUser { target, reason } => {
            (target, Some(AccessRequest::Enable), reason)
        }
        UserAccessCommand::RemoveRole {
            target,
            role,
            reason,
        } => {
            let role = kiosk_sync_server::hr::accounts::Role::parse(&role)
                .ok_or("--role must be admin, recruiter or archivist")?;
            (target, Some(AccessRequest::RemoveRole(role)), Some(reason))
        }
        UserAccessCommand::RemoveClearance { target, reason } => {
            (target, Some(AccessRequest::RemoveClearance), Some(reason))
        }
        UserAccessCommand::ResetPassword { target, reason } => {
            (target, Some(AccessRequest::ResetPassword), reason)
        }
        UserAccessCommand::RevokeToken {
            target,
            token,
            reason,
        } => (target, Some(AccessRequest::RevokeToken(token)), reason),
        UserAccessCommand::ListTokens { target } => (target, None, None),
    };
    let (store, _) = open_admin(data_dir_flag, &target.config)?;
    let (user, _) = store
        .hr_user_by_username(&target.username)?
        .ok_or("no HR user has this username")?;
    let Some(request) = request else {
        let tokens = store.hr_api_tokens(user.id, now_ms())?;
        if tokens.is_empty() {
            println!("{} has no API tokens", user.username);
        }
        for token in tokens {
            let time = |at| kiosk_core::ids::Timestamp(at).utc_minutes();
            println!(
                "{:>6}  created {}  expires {}  last used {}  {}",
                token.id,
                time(token.created_at),
                time(token.expires_at),
                time(token.last_used_at),
                token.label.unwrap_or_default()
            );
        }
        return Ok(());
    };
    let what = match &request {
        AccessRequest::Disable => "disabled; their sessions and API tokens have ended".to_owned(),
        AccessRequest::Enable => "enabled again".to_owned(),
        AccessRequest::RemoveRole(role) => format!("no longer has the {} role", role.as_str()),
        AccessRequest::RemoveClearance => "no longer has the restricted clearance".to_owned(),
        AccessRequest::ResetPassword => {
            "has a new one-time password; their sessions and API tokens have ended".to_owned()
        }
        AccessRequest::RevokeToken(id) => format!("API token {id} revoked"),
    };
    let by = ChangedBy::Operator(target.by);
    let (user, one_time) = change_access(store.as_ref(), &by, user.id, request, reason.as_deref())?;
    println!("{}: {what}", user.username);
    if let Some(one_time) = one_time {
        println!("one-time password, shown once:");
        println!("  {one_time}");
        println!("it opens nothing but a password change at the next login");
    }
    Ok(())
}

fn device_key_arg(device: &str) -> Result<[u8; 32], Box<dyn std::error::Error>> {
    Ok(hex::decode(device)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("--device must be 64 hex digits")?)
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Kiosk,
    Staff,
}

impl From<Role> for EnrolledRole {
    fn from(role: Role) -> EnrolledRole {
        match role {
            Role::Kiosk => EnrolledRole::Kiosk,
            Role::Staff => EnrolledRole::Staff,
        }
    }
}

/// Prints `content` as a QR code a tablet's camera can read from the terminal.
fn print_qr(content: &str) {
    match qrcode::QrCode::new(content.as_bytes()) {
        Ok(code) => println!(
            "{}",
            code.render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build()
        ),
        Err(e) => println!("  (no QR code: {e})"),
    }
}

fn log_filter(filter: &str) -> Result<String, String> {
    check_log_filter(filter).map(|()| filter.to_owned())
}

/// The database file in a data directory.
fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("relay.sqlite3")
}

/// Takes the data directory's run lock for as long as the returned file is kept: a restore
/// refuses to replace the store under a running relay.
fn take_run_lock(data_dir: &Path) -> Result<std::fs::File, Box<dyn std::error::Error>> {
    private_files::create_dir(data_dir)?;
    let file = private_files::new_file_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join("relay.lock"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "a relay is running on {}; stop it first",
            data_dir.display()
        )
        .into()),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

fn database_url_arg(text: &str) -> Result<DatabaseUrl, String> {
    DatabaseUrl::parse(text)
        .ok_or_else(|| "expected a PostgreSQL URL, like postgres://kiosk@db.example/kiosk".into())
}

/// A store as `open` gives it: the store, and the same store as PostgreSQL's when it is
/// (for its own periodic work).
type OpenedStore = (Arc<dyn RelayStore>, RelayKeys, Option<Arc<PgStore>>);

/// The relay's keys from the data directory, and its store: the PostgreSQL database at
/// `database_url` when one is set, else the SQLite file in the data directory.
fn open(
    data_dir: &Path,
    database_url: Option<&DatabaseUrl>,
    new_log_key: bool,
) -> Result<OpenedStore, Box<dyn std::error::Error>> {
    let Some(url) = database_url else {
        let (store, keys) = open_sqlite(data_dir, new_log_key)?;
        return Ok((store, keys, None));
    };
    private_files::secure_data_dir(data_dir)?;
    let store = PgStore::open(url.as_str())?;
    // Before any key is read or made: a lost log key is refused while the data directory
    // can still take `import-keys`.
    refuse_lost_log_key(data_dir, &store, new_log_key)
        .map_err(|e| format!("the transparency log key in {}: {e}", data_dir.display()))?;
    let keys = RelayKeys::for_shared_store(data_dir, &store)?;
    // Only with the database's own keys: rows written without them are tagged now, before
    // the instance serves (a database an older relay wrote: once).
    let tagged = store.use_email_tags(kiosk_sync_server::storage::email_tag_secret(
        keys.derivation_root(),
    ))?;
    if tagged > 0 {
        tracing::info!(
            tagged,
            "tagged the email addresses of registrations for address search"
        );
    }
    let store = Arc::new(store);
    Ok((store.clone(), keys, Some(store)))
}

/// The keys and the SQLite store of a data directory.
fn open_sqlite(
    data_dir: &Path,
    new_log_key: bool,
) -> Result<(Arc<SqliteStore>, RelayKeys), Box<dyn std::error::Error>> {
    // Before anything is read or written: what others could read is made private (and
    // logged), or nothing starts.
    private_files::secure_data_dir(data_dir)?;
    let store = Arc::new(SqliteStore::open(&database_path(data_dir))?);
    // Before any key is made: a restore without the key export is refused while the data
    // directory can still take `import-keys` (which refuses a directory with other keys).
    refuse_lost_log_key(data_dir, store.as_ref(), new_log_key)
        .map_err(|e| format!("the transparency log key in {}: {e}", data_dir.display()))?;
    let keys = RelayKeys::load_or_create(data_dir)?;
    Ok((store, keys))
}

/// Refuses a command that works on the SQLite file (`what`) when the store is in
/// PostgreSQL.
fn sqlite_only(settings: &Settings, what: &str) -> Result<(), Box<dyn std::error::Error>> {
    match settings.database_url {
        Some(_) => Err(format!(
            "{what} works on the SQLite file only; this relay's store is in PostgreSQL \
             (database_url), which is backed up and restored with the database's own tools \
             (pg_dump/pg_restore, base backups)"
        )
        .into()),
        None => Ok(()),
    }
}

/// The PostgreSQL store of an admin command (`what`) that only PostgreSQL has; refused on
/// SQLite, whose `backup` and `restore` move the watermark and the epoch themselves.
fn open_postgres_admin(
    data_dir_flag: Settings,
    config: &ConfigFile,
    what: &str,
) -> Result<PgStore, Box<dyn std::error::Error>> {
    let settings = admin_settings(data_dir_flag, config)?;
    match &settings.database_url {
        Some(url) => Ok(PgStore::open(url.as_str())?),
        None => Err(format!(
            "{what} is for a store in PostgreSQL (database_url); this relay's store is the \
             SQLite file, whose backup and restore commands keep the watermark and the epoch \
             themselves"
        )
        .into()),
    }
}

/// A mark as `backup-mark` prints it: `EPOCH:COMMIT` (32 hex digits, a number).
fn backup_mark_arg(text: &str) -> Result<ReportedWatermark, Box<dyn std::error::Error>> {
    let bad = || format!("--mark must be EPOCH:COMMIT as backup-mark printed it, not {text:?}");
    let (epoch, commit) = text.trim().split_once(':').ok_or_else(bad)?;
    let valid_epoch = epoch.len() == 32 && epoch.bytes().all(|b| b.is_ascii_hexdigit());
    let watermark = commit.parse::<u64>().map_err(|_| bad())?;
    if !valid_epoch {
        return Err(bad().into());
    }
    Ok(ReportedWatermark {
        epoch: epoch.to_ascii_lowercase(),
        watermark,
    })
}

/// An admin command's settings (flag > environment > config file > default), with logging
/// started.
fn admin_settings(
    data_dir_flag: Settings,
    config: &ConfigFile,
) -> Result<Settings, Box<dyn std::error::Error>> {
    let settings = gather(data_dir_flag, config.config.as_deref(), |name| {
        std::env::var_os(name)
    })?;
    init_logging(&settings);
    Ok(settings)
}

/// What every admin command starts with: its settings, logging, and the relay's store and
/// keys.
fn open_admin(
    data_dir_flag: Settings,
    config: &ConfigFile,
) -> Result<(Arc<dyn RelayStore>, RelayKeys), Box<dyn std::error::Error>> {
    let settings = admin_settings(data_dir_flag, config)?;
    let (store, keys, _) = open(
        &settings.data_dir_or_default(),
        settings.database_url.as_ref(),
        false,
    )?;
    Ok((store, keys))
}

/// Logs as `settings` say (filter and format), which have already been checked.
fn init_logging(settings: &Settings) {
    log_format::init(
        &settings.log_or_default(),
        settings.log_format.unwrap_or_default(),
    );
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The witness runs on another machine and touches no relay data: its own entry.
    let cli = match cli.command {
        Command::Witness(args) => {
            // `--show-key` prints only the vkey on stdout, for scripts.
            if !args.show_key {
                log_format::init(
                    &std::env::var("KIOSK_LOG").unwrap_or_else(|_| "info".to_owned()),
                    LogFormat::Text,
                );
            }
            let code =
                tokio::task::spawn_blocking(move || kiosk_sync_server::witness::run::command(args))
                    .await
                    .unwrap_or(1);
            return std::process::ExitCode::from(code);
        }
        command => Cli { command, ..cli },
    };
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var_os(name);
    let data_dir_flag = Settings {
        data_dir: cli.data_dir,
        database_url: cli.database_url,
        ..Settings::default()
    };
    match cli.command {
        Command::Serve {
            config,
            listen,
            tls_cert,
            tls_key,
            dev_plain_http,
            log,
            edge,
            limits,
            monitor,
            backups,
            new_log_key,
        } => {
            let flags = Settings {
                listen,
                tls_cert,
                tls_key,
                dev_plain_http: dev_plain_http.then_some(true),
                log,
                log_format: edge.log_format,
                trusted_proxies: match edge.trusted_proxies {
                    ranges if ranges.is_empty() => None,
                    ranges => Some(
                        TrustedProxies::new(ranges).map_err(|e| format!("--trusted-proxy: {e}"))?,
                    ),
                },
                header_read_timeout_secs: limits.header_read_timeout_secs,
                body_read_timeout_secs: limits.body_read_timeout_secs,
                idle_timeout_secs: limits.idle_timeout_secs,
                tls_handshake_timeout_secs: limits.tls_handshake_timeout_secs,
                max_connections: limits.max_connections.map(|n| n as usize),
                max_connections_per_client: limits.max_connections_per_client.map(|n| n as usize),
                backup: kiosk_sync_server::backup_settings::BackupSettings {
                    dir: backups.backup_dir,
                    every: backups.backup_every,
                    keep: backups.backup_keep.map(|n| n as usize),
                    offsite_only: backups.backup_offsite_only.then_some(true),
                },
                ..data_dir_flag
            };
            let settings = gather(flags, config.config.as_deref(), env)?;
            let retention_months = settings.access_log_retention_months_or_default();
            let config = ServeConfig::from_settings(settings)?;
            log_format::init(&config.log, config.log_format);
            serve_relay(config, retention_months, monitor, new_log_key).await
        }
        // The demo keeps to its own defaults: a config file names a real relay's data, which
        // the demo event and codes must not be written into.
        Command::Demo { listen } => {
            let settings = data_dir_flag.over(Settings::from_env(env)?);
            init_logging(&settings);
            demo(listen, &settings.data_dir_or_default()).await
        }
        // The admin commands call the store directly, and the PostgreSQL client blocks:
        // off the async threads.
        command => tokio::task::block_in_place(|| admin_command(command, data_dir_flag)),
    }
}

/// Runs an admin command (every command but `serve` and `demo`).
fn admin_command(
    command: Command,
    data_dir_flag: Settings,
) -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var_os(name);
    match command {
        Command::Serve { .. } | Command::Demo { .. } => {
            Err("serve and demo are not admin commands".into())
        }
        Command::CreateCode {
            config,
            event,
            role,
            recruiter,
            uses,
            valid_hours,
            relay,
        } => {
            let (store, keys) = open_admin(data_dir_flag, &config)?;
            let event_id =
                kiosk_core::ids::EventId::parse(&event).ok_or("--event is not an event id")?;
            if store.event(&event_id)?.is_none() {
                return Err(format!("no event {event} on this relay").into());
            }
            if matches!(role, Role::Staff) && recruiter.is_none() {
                return Err("a staff code is bound to a recruiter: give --recruiter".into());
            }
            let now = now_ms();
            let code = create_code(
                store.as_ref(),
                &event,
                role.into(),
                recruiter,
                uses,
                now + valid_hours * 3_600_000,
                now,
            )?;
            println!("{}", code.display());
            if let Some(relay) = relay {
                // The key tablets enrolling now pin: the current one, after a rotation too.
                let text = enrollment::qr_text(&relay, &code, &keys.sealing.sealing_key().key_id);
                print_qr(&text);
                println!("{text}");
            }
            Ok(())
        }
        Command::Remove {
            config,
            registration,
            reason,
            by,
        } => {
            let (store, _) = open_admin(data_dir_flag, &config)?;
            if kiosk_core::ids::RegistrationId::parse(&registration).is_none() {
                return Err("--registration is not a registration id".into());
            }
            if reason.trim().is_empty() {
                return Err("--reason must say why the registration is removed".into());
            }
            let accessor = kiosk_sync_server::storage::Accessor::Operator(by);
            use kiosk_sync_server::storage::RemovalOutcome;
            match store.remove_registration(&registration, reason.trim(), &accessor, now_ms())? {
                RemovalOutcome::Removed => {
                    println!(
                        "removed {registration}; tablets erase their copies on their next sync"
                    );
                    Ok(())
                }
                RemovalOutcome::NoRecord => {
                    Err("no such registration on this relay (or already removed)".into())
                }
                RemovalOutcome::OnLegalHold => Err(
                    "the registration is on legal hold: an archivist must lift the hold first"
                        .into(),
                ),
            }
        }
        Command::CreateAdmin {
            config,
            username,
            name,
        } => {
            let (store, _) = open_admin(data_dir_flag, &config)?;
            let (user, one_time) = kiosk_sync_server::hr::provision_user(
                store.as_ref(),
                &username,
                &name,
                vec![kiosk_sync_server::hr::accounts::Role::Admin],
                now_ms(),
            )?;
            println!(
                "created HR administrator {} (id {}); one-time password, shown once:",
                user.username, user.id
            );
            println!("  {one_time}");
            println!("they must choose their own password at the first login");
            Ok(())
        }
        Command::Revoke { config, device } => {
            let (store, _) = open_admin(data_dir_flag, &config)?;
            let key = device_key_arg(&device)?;
            if store.revoke_device(&key, now_ms())? {
                println!("revoked {device}");
                Ok(())
            } else {
                Err("no such device, or already revoked".into())
            }
        }
        Command::Backup { config, to } => {
            let settings = admin_settings(data_dir_flag, &config)?;
            sqlite_only(&settings, "backup")?;
            let data_dir = settings.data_dir_or_default();
            let (store, _) = open_sqlite(&data_dir, false)?;
            let report = store.backup(&to)?;
            // Readiness and the console read the newest backup from here.
            kiosk_sync_server::scheduled_backup::record_success(
                &data_dir,
                kiosk_sync_server::scheduled_backup::BackupEntry {
                    at_ms: now_ms(),
                    path: std::path::absolute(&report.path).unwrap_or(report.path.clone()),
                    watermark: report.watermark,
                    counted: true,
                },
            );
            println!(
                "backed up to {} ({} bytes); it holds every commit up to number {}",
                report.path.display(),
                report.bytes,
                report.watermark
            );
            Ok(())
        }
        Command::Restore {
            config,
            from,
            force,
        } => {
            let settings = gather(data_dir_flag, config.config.as_deref(), env)?;
            init_logging(&settings);
            sqlite_only(&settings, "restore")?;
            let data_dir = settings.data_dir_or_default();
            let _stopped = take_run_lock(&data_dir)?;
            restore(&from, &database_path(&data_dir), force)
        }
        Command::ExportKeys {
            config,
            to,
            passphrase_file,
        } => {
            use kiosk_sync_server::key_export::{export_keys, read_passphrase};
            let settings = admin_settings(data_dir_flag, &config)?;
            let data_dir = settings.data_dir_or_default();
            let passphrase = read_passphrase(passphrase_file.as_deref(), true)?;
            let ids = export_keys(&data_dir, &to, &passphrase)?;
            println!(
                "relay keys written to {}, encrypted under the passphrase",
                to.display()
            );
            println!("  signing key (public) {}", ids.signing_public);
            println!("  sealing key id       {}", ids.sealing_key_id);
            println!(
                "keep it offline and apart from the backups, and the passphrase apart from it"
            );
            Ok(())
        }
        Command::ImportKeys {
            config,
            from,
            passphrase_file,
        } => {
            use kiosk_sync_server::key_export::{import_keys, read_passphrase};
            let settings = admin_settings(data_dir_flag, &config)?;
            let data_dir = settings.data_dir_or_default();
            let passphrase = read_passphrase(passphrase_file.as_deref(), false)?;
            // No relay may run on it meanwhile; a missing folder has none, and is made only
            // once the export is read.
            let _stopped = match data_dir.exists() {
                true => Some(take_run_lock(&data_dir)?),
                false => None,
            };
            let imported = import_keys(&data_dir, &from, &passphrase)?;
            if imported.written.is_empty() {
                println!("{} holds these keys already", data_dir.display());
            } else {
                println!(
                    "relay keys imported into {} ({})",
                    data_dir.display(),
                    imported.written.join(", ")
                );
            }
            println!("  signing key (public) {}", imported.ids.signing_public);
            println!("  sealing key id       {}", imported.ids.sealing_key_id);
            Ok(())
        }
        Command::RotateKeys {
            config,
            retire_previous,
            force,
        } => {
            use kiosk_sync_server::key_rotation;
            if !retire_previous {
                let settings = admin_settings(data_dir_flag, &config)?;
                let data_dir = settings.data_dir_or_default();
                let keys = key_rotation::rotate(&data_dir)?;
                let previous = keys
                    .previous_ids()
                    .ok_or("the rotation left no previous keys")?;
                println!("relay keys rotated in {}", data_dir.display());
                println!(
                    "  new signing key (public) {}",
                    hex::encode(keys.ids().signing_public)
                );
                println!("  new sealing key id       {}", keys.ids().sealing_key_id);
                println!("  previous sealing key id  {}", previous.sealing_key_id);
                println!(
                    "restart the relay to use them (with several instances: copy the key files \
                     to every one first); each tablet adopts them at its next sync. Export the \
                     keys again (export-keys) and keep the new export"
                );
                return Ok(());
            }
            let settings = admin_settings(data_dir_flag, &config)?;
            let data_dir = settings.data_dir_or_default();
            let (store, keys, _) = open(&data_dir, settings.database_url.as_ref(), false)?;
            let blockers = key_rotation::RetireBlockers::of(store.as_ref(), &keys, now_ms())?;
            let not_adopted = blockers.not_adopted;
            let retired = key_rotation::retire_previous(&data_dir, blockers, force)?;
            println!(
                "previous relay keys retired in {} (sealing key id {})",
                data_dir.display(),
                retired.sealing_key_id
            );
            if not_adopted > 0 {
                println!(
                    "  {not_adopted} active tablet(s) had not adopted the new keys: enroll them again"
                );
            }
            println!(
                "restart the relay (every instance) so it stops using them, and export the keys \
                 again (export-keys)"
            );
            Ok(())
        }
        Command::BackupMark { config } => {
            let store = open_postgres_admin(data_dir_flag, &config, "backup-mark")?;
            let mark = store.backup_mark()?;
            println!("{}:{}", mark.epoch, mark.watermark);
            eprintln!(
                "every backup of this database that starts from now holds commits up to {}; \
                 once it has completed (its WAL archived), run: backup-confirm --mark {}:{}",
                mark.watermark, mark.epoch, mark.watermark
            );
            Ok(())
        }
        Command::BackupConfirm { config, mark } => {
            let mark = backup_mark_arg(&mark)?;
            let data_dir = gather(data_dir_flag.clone(), config.config.as_deref(), |name| {
                std::env::var_os(name)
            })?
            .data_dir_or_default();
            let store = open_postgres_admin(data_dir_flag, &config, "backup-confirm")?;
            let watermark = store.confirm_backup(&mark)?;
            // The operator vouches for the backup: readiness and metrics of the relay on
            // this data directory see it.
            record_verified_backup(&data_dir, watermark, "postgres-confirm");
            println!(
                "backup watermark is now {watermark}: tablets erase their sealed copies of \
                 commits up to it at their next sync"
            );
            Ok(())
        }
        Command::NewEpoch { config } => {
            let store = open_postgres_admin(data_dir_flag, &config, "new-epoch")?;
            let epoch = store.start_new_epoch()?;
            tracing::warn!(%epoch, "the store has a new epoch: tablets send again what they hold");
            println!(
                "new epoch {epoch}, no backup watermark: every tablet sends again at its next \
                 sync whatever it still holds. Removals, withdrawals and legal holds made after \
                 the point the database was restored to are not in it: make them again"
            );
            Ok(())
        }
        Command::UnlockStaffPin { config, device } => {
            let (store, keys) = open_admin(data_dir_flag, &config)?;
            let key = device_key_arg(&device)?;
            let now = now_ms();
            let counter = store
                .issue_staff_unlock(&key, now)?
                .ok_or("no enrolled, unrevoked staff tablet with this id")?;
            // Signed with the key the tablet pins (the previous one until it adopts new keys).
            let pinned = store
                .device(&key)?
                .and_then(|d| d.relay_key)
                .unwrap_or(keys.signing.verifying_key().to_bytes());
            let command = kiosk_core::protocol::sign_command(
                kiosk_core::protocol::Command::UnlockStaffPin { counter },
                key,
                now,
                keys.signing_for(&pinned),
            );
            println!("unlock {counter} signed for {device}");
            println!(
                "the tablet receives it on its next sync (for 7 days); the recruiter then sets \
                 a new PIN (`kiosk-device staff-unlock --new-pin …`)"
            );
            println!("code for a tablet that cannot sync (`--code`):");
            println!("{}", kiosk_core::staff_unlock::unlock_code_text(&command));
            Ok(())
        }
        // Handled in `main` before this, since its exit code says whether it refused.
        Command::Witness(_) => Err("the witness command runs from main".into()),
        Command::VerifyAccessLog { config, checkpoint } => {
            let (store, keys) = open_admin(data_dir_flag, &config)?;
            let verdict = store.verify_access_log()?;
            if let Some(at) = verdict.broken_at {
                return Err(format!(
                    "access log: chain broken at entry {at} of {}",
                    verdict.entries
                )
                .into());
            }
            println!(
                "access log: {} entries, head {}, chain intact",
                verdict.entries,
                hex::encode(verdict.head)
            );
            for path in checkpoint {
                let bytes = std::fs::read(&path)
                    .map_err(|e| format!("checkpoint file {}: {e}", path.display()))?;
                let relay_keys = keys.signing_publics();
                let verdict = access_checkpoint::check(store.as_ref(), &relay_keys, &bytes)
                    .map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
                let held = verdict.checkpoint();
                let taken = kiosk_core::ids::Timestamp(held.at).utc_minutes();
                match verdict {
                    access_checkpoint::CheckpointVerdict::Holds(_) => println!(
                        "checkpoint {} holds: the log still has its {} entries as of {taken}",
                        path.display(),
                        held.entries,
                    ),
                    access_checkpoint::CheckpointVerdict::BeforeHorizon { first_kept, .. } => {
                        println!(
                            "checkpoint {} ({} entries as of {taken}): {}; the log starts at \
                             entry {first_kept}",
                            path.display(),
                            held.entries,
                            access_checkpoint::BEFORE_HORIZON.0,
                        )
                    }
                }
            }
            Ok(())
        }
        Command::VerifyLog {
            config,
            checkpoint,
            witness,
            max_cosignature_age,
        } => {
            let settings = admin_settings(data_dir_flag, &config)?;
            let (store, _, _) = open(
                &settings.data_dir_or_default(),
                settings.database_url.as_ref(),
                false,
            )?;
            verify_log(
                store.as_ref(),
                &settings,
                checkpoint.as_deref(),
                &witness,
                max_cosignature_age,
            )
        }
        Command::AccessLogCheckpoint { config, to } => {
            let settings = admin_settings(data_dir_flag, &config)?;
            let data_dir = settings.data_dir_or_default();
            let (store, keys, _) = open(&data_dir, settings.database_url.as_ref(), false)?;
            // Compared with the recorded key only: an admin command makes and binds none.
            let log_key = kiosk_sync_server::transparency::checkpoint::check_for_store(
                &data_dir,
                settings.log_origin.as_deref(),
                store.as_ref(),
            )
            .map_err(|e| format!("the transparency log key in {}: {e}", data_dir.display()))?;
            let checkpoint =
                access_checkpoint::write(store.as_ref(), &keys, Some(&log_key), &to, now_ms())?;
            println!(
                "checkpoint of {} entries (head {}) signed and written to {}",
                checkpoint.entries,
                hex::encode(checkpoint.head),
                to.display()
            );
            Ok(())
        }
        Command::PruneAccessLog {
            config,
            retention_months,
        } => {
            let settings = gather(
                Settings {
                    access_log_retention_months: retention_months,
                    ..data_dir_flag
                },
                config.config.as_deref(),
                env,
            )?;
            init_logging(&settings);
            let (store, _, _) = open(
                &settings.data_dir_or_default(),
                settings.database_url.as_ref(),
                false,
            )?;
            let months = settings.access_log_retention_months_or_default();
            match daily_checkpoint::prune_access_log(store.as_ref(), months, now_ms())? {
                AccessLogPruning::Pruned { removed, horizon } => println!(
                    "removed {removed} access-log entries older than {months} months; the log \
                     now starts at entry {}",
                    horizon.first_kept
                ),
                AccessLogPruning::NothingDue { horizon } => println!(
                    "no access-log entries older than {months} months; the log starts at entry {}",
                    horizon.map_or(1, |h| h.first_kept)
                ),
                AccessLogPruning::ChainBroken { at } => {
                    return Err(format!(
                        "access log: chain broken at entry {at}; nothing removed, so the \
                         evidence stays"
                    )
                    .into());
                }
            }
            Ok(())
        }
        Command::AccessLog {
            config,
            after,
            limit,
        } => {
            let (store, _) = open_admin(data_dir_flag, &config)?;
            for (seq, entry) in store.access_log_entries(after, limit)? {
                let (who, recruiter) = match &entry.accessor {
                    kiosk_sync_server::storage::Accessor::Device {
                        device_key,
                        recruiter,
                    } => (
                        format!("device {}", &hex::encode(device_key)[..16]),
                        recruiter.clone().unwrap_or_else(|| "-".into()),
                    ),
                    kiosk_sync_server::storage::Accessor::Operator(name) => {
                        (format!("operator {name}"), "-".into())
                    }
                    kiosk_sync_server::storage::Accessor::Visitor => {
                        ("visitor (with receipt)".to_owned(), "-".into())
                    }
                };
                println!(
                    "{seq:>8}  {}  {who}  {recruiter}  {}  {}",
                    kiosk_core::ids::Timestamp(entry.at).utc_minutes(),
                    entry.action.as_str(),
                    entry.doc_id
                );
            }
            Ok(())
        }
        Command::UserAccess(command) => user_access_command(data_dir_flag, command),
        Command::DeviceReport { config, device } => {
            let (store, _) = open_admin(data_dir_flag, &config)?;
            let report = store
                .device_report(&device_key_arg(&device)?)?
                .ok_or("no such device on this relay")?;
            println!(
                "{} received ({} merged, {} in quarantine) from {:?} tablet of {}",
                report.received,
                report.stored,
                report.quarantined,
                report.record.role,
                report.record.event_id
            );
            println!(
                "journal the relay computed: {} entries, head {}",
                report.journal.count,
                report.journal.short()
            );
            if let Some(at) = report.last_contact {
                println!(
                    "last contact {}",
                    kiosk_core::ids::Timestamp(at).utc_minutes()
                );
            }
            if report.record.revoked_at.is_some() {
                println!("revoked: its pushes are quarantined and it is told to wipe itself");
            }
            Ok(())
        }
    }
}

/// Records a verified backup for readiness and metrics. The backup stands whether or not
/// this is recorded, so a failure is a warning, not the command's error.
fn record_verified_backup(data_dir: &Path, watermark: u64, how: &str) {
    let backup = observe::backup_status::VerifiedBackup {
        verified_at: now_ms(),
        watermark,
        how: how.to_owned(),
    };
    if let Err(e) = observe::backup_status::record(data_dir, &backup) {
        eprintln!(
            "warning: the backup is made, but its time was not recorded in {} for /readyz \
             and the metrics: {e}",
            data_dir.display()
        );
    }
}

/// Runs a restore and prints what it found and did; a refusal prints what would be lost.
fn restore(from: &Path, database: &Path, force: bool) -> Result<(), Box<dyn std::error::Error>> {
    use kiosk_sync_server::restore::{RestoreError, run};
    match run(from, database, force, now_ms()) {
        Ok(lines) => {
            lines.iter().for_each(|line| println!("{line}"));
            Ok(())
        }
        Err(RestoreError::Refused { lines, why }) => {
            lines.iter().for_each(|line| println!("{line}"));
            Err(why.into())
        }
        Err(RestoreError::Storage(e)) => Err(e.into()),
    }
}

async fn serve_relay(
    config: ServeConfig,
    access_log_retention_months: u32,
    monitor: MonitorFlags,
    new_log_key: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let observer = Arc::new(observe::Observer::new(observe::MonitorSettings {
        data_dir: Some(config.data_dir.clone()),
        min_free_disk: monitor
            .min_free_disk
            .unwrap_or(observe::DEFAULT_MIN_FREE_DISK),
        max_backup_age: monitor.max_backup_age,
        metrics_token: monitor
            .metrics_token_file
            .as_deref()
            .map(observe::read_metrics_token)
            .transpose()?,
        ..observe::MonitorSettings::default()
    }));
    // Certificate problems are reported before the data directory is touched.
    let tls = match &config.scheme {
        Scheme::Https { certificate, key } => {
            // Renewed certificates are taken on SIGHUP or when the files change.
            let certificate = ReloadingCertificate::load(certificate, key)?;
            certificate.spawn_watch(tls_reload::WATCH_EVERY);
            Some(certificate.server_config()?)
        }
        Scheme::PlainHttp => {
            // SIGHUP (the unit's `systemctl reload`) would otherwise end the process.
            spawn_hangup_without_certificate()?;
            None
        }
    };
    if config.backup.is_some() && config.database_url.is_some() {
        return Err(BACKUPS_ON_POSTGRES.into());
    }
    let _running = take_run_lock(&config.data_dir)?;
    // The PostgreSQL client blocks (it connects and migrates here): off the async threads.
    let (store, keys, postgres) = tokio::task::block_in_place(|| match &config.backup {
        Some(schedule) => {
            let (sqlite, keys) = open_sqlite(&config.data_dir, new_log_key)?;
            kiosk_sync_server::scheduled_backup::spawn(
                sqlite.clone(),
                config.data_dir.clone(),
                schedule.clone(),
                now_ms,
            );
            Ok((sqlite as Arc<dyn RelayStore>, keys, None))
        }
        None => open(&config.data_dir, config.database_url.as_ref(), new_log_key),
    })?;
    if let Some(postgres) = postgres {
        spawn_address_tagging(
            postgres,
            kiosk_sync_server::storage::email_tag_secret(keys.derivation_root()),
        );
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let address = listener.local_addr()?;
    let checkpoint_dir = config.data_dir.join(access_checkpoint::CHECKPOINT_DIR);
    // The transparency log's key, beside the relay keys (`export-keys` carries it); the
    // daily access-log checkpoint carries the log's checkpoint too.
    // Bound to the log in the store: another key or origin is refused here, by name.
    let log_key = Arc::new(
        tokio::task::block_in_place(|| {
            kiosk_sync_server::transparency::checkpoint::load_for_store(
                &config.data_dir,
                config.log_origin.as_deref(),
                store.as_ref(),
                new_log_key,
            )
        })
        .map_err(|e| {
            format!(
                "the transparency log key in {}: {e}",
                config.data_dir.display()
            )
        })?,
    );
    spawn_daily_checkpoints(
        store.clone(),
        RelayKeys::load_or_create(&config.data_dir)?,
        log_key.clone(),
        checkpoint_dir.clone(),
        access_log_retention_months,
        daily_checkpoint::instance_name(&config.data_dir),
        observer.clone(),
    );
    spawn_failure_count_pruning(store.clone());
    let mut state = AppState::new(store, keys);
    // The blind indexes' key lives beside the relay keys, outside the database and its
    // backups; records are indexed off the ingest path, now and every minute.
    let index_keys = Arc::new(tokio::task::block_in_place(|| {
        kiosk_sync_server::blind_index::keys_for_store(
            &config.data_dir,
            state.store.as_ref(),
            config.database_url.is_some(),
        )
    })?);
    state.index_keys = index_keys.clone();
    kiosk_sync_server::blind_index::spawn_indexing(state.store.clone(), index_keys);
    // The transparency log's key, beside the relay keys (`export-keys` carries it).
    state.log_key = log_key;
    state.witness_keys = Arc::new(config.witness_keys.clone().into());
    // The receipt key lives beside them; a shared database refuses an instance without it.
    tokio::task::block_in_place(|| {
        kiosk_sync_server::visitor_receipt::key::check_for_store(
            &config.data_dir,
            &state.keys.receipt,
            state.store.as_ref(),
            config.database_url.is_some(),
        )
    })?;
    state.secure_cookies = tls.is_some();
    state.accessibility_contact = config.accessibility_contact.clone();
    state.checkpoint_dir = Some(checkpoint_dir);
    if config.database_url.is_none() {
        state.backup_record_dir = Some(config.data_dir.clone());
    }
    state.retention.spawn_schedule();
    state.observe = observer;
    if let Some(metrics_listen) = monitor.metrics_listen {
        let listener = tokio::net::TcpListener::bind(metrics_listen).await?;
        println!("Metrics on http://{}/metrics", listener.local_addr()?);
        if !metrics_listen.ip().is_loopback() {
            tracing::warn!(
                address = %metrics_listen,
                "the metrics listener answers anyone who reaches it, without a token: bind it \
                 where only the monitoring system can connect"
            );
        }
        let metrics = observe::metrics::metrics_router(state.clone());
        tokio::spawn(async move {
            if let Err(e) =
                kiosk_sync_server::serve_router(listener, metrics, shutdown_signal()).await
            {
                tracing::error!("the metrics listener stopped: {e}");
            }
        });
    }
    state.trusted_proxies = Arc::new(config.trusted_proxies.clone());
    match tls {
        Some(tls) => {
            println!(
                "Kiosk relay on https://{address}, data in {}",
                config.data_dir.display()
            );
            serve_tls_with(listener, state, tls, config.limits, shutdown_signal()).await?;
        }
        None => {
            if !address.ip().is_loopback() {
                tracing::warn!("serving plain HTTP on a non-loopback address (--dev-plain-http)");
            }
            println!(
                "Kiosk relay on http://{address}, data in {}",
                config.data_dir.display()
            );
            serve_with(listener, state, config.limits, shutdown_signal()).await?;
        }
    }
    Ok(())
}

/// Why `serve` refuses scheduled backups of a PostgreSQL store.
const BACKUPS_ON_POSTGRES: &str = "--backup-dir (backup_dir) backs up the SQLite file only; \
this relay's store is in PostgreSQL (database_url): back the database up with its own tools \
and tell the relay what each backup holds with `backup-mark` before it starts and \
`backup-confirm --mark …` once it has completed (see the README's \"On PostgreSQL\")";

/// Writes the day's signed access-log checkpoint, for operators to copy off the machine, after
/// pruning access-log entries older than `retention_months`: at start and then at every
/// [`daily_checkpoint::CHECKPOINT_TICK`], once a UTC day, by one instance of a shared store
/// (see [`daily_checkpoint`]). A failure is logged and tried again at the next tick.
fn spawn_daily_checkpoints(
    store: Arc<dyn RelayStore>,
    keys: RelayKeys,
    log_key: Arc<LogKey>,
    folder: PathBuf,
    retention_months: u32,
    instance: String,
    observer: Arc<observe::Observer>,
) {
    use daily_checkpoint::DailyCheckpoint;
    let keys = Arc::new(keys);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(daily_checkpoint::CHECKPOINT_TICK);
        loop {
            ticks.tick().await;
            let (store, keys, log_key) = (store.clone(), keys.clone(), log_key.clone());
            let (folder, instance) = (folder.clone(), instance.clone());
            // The chain walk reads the whole log: off the async threads.
            let ticked = tokio::task::spawn_blocking(move || {
                daily_checkpoint::tick(
                    store.as_ref(),
                    &keys,
                    Some(&log_key),
                    &folder,
                    retention_months,
                    &instance,
                    now_ms(),
                )
            })
            .await;
            observe::chain_status::record_tick(&observer.chain, &ticked, now_ms());
            match ticked {
                Ok(Ok(DailyCheckpoint::Written { checkpoint, path })) => tracing::info!(
                    entries = checkpoint.entries,
                    file = %path.display(),
                    "access-log checkpoint written"
                ),
                Ok(Ok(DailyCheckpoint::Done(_) | DailyCheckpoint::Elsewhere)) => {}
                Ok(Err(e)) => tracing::error!("access-log checkpoint not written: {e}"),
                Err(e) => tracing::error!("access-log checkpoint task failed: {e}"),
            }
        }
    });
}

/// Answers SIGHUP on a relay without a certificate (plain HTTP behind a proxy) with a log
/// line instead of the signal's default, which ends the process.
fn spawn_hangup_without_certificate() -> std::io::Result<()> {
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: this relay serves no certificate, nothing to reload");
        }
    });
    Ok(())
}

/// How often a PostgreSQL instance tags rows written without the relay's keys meanwhile (by
/// an instance of an older release still running during an upgrade).
const ADDRESS_TAGGING: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Tags, every [`ADDRESS_TAGGING`], the rows of the database written without the relay's
/// keys: until they are, address searches and subject access open every row.
fn spawn_address_tagging(store: Arc<PgStore>, secret: [u8; 32]) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(ADDRESS_TAGGING);
        // The first tick is at once; the rows were tagged when the store opened.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let store = store.clone();
            match tokio::task::spawn_blocking(move || store.use_email_tags(secret)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(tagged)) => tracing::info!(
                    tagged,
                    "tagged the email addresses of registrations written without the relay's keys"
                ),
                Ok(Err(e)) => tracing::error!("addresses not tagged: {e}"),
                Err(e) => tracing::error!("address tagging task failed: {e}"),
            }
        }
    });
}

/// How often rate-limit counts whose window has ended are forgotten.
const FAILURE_COUNT_PRUNE: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Forgets rate-limit counts whose window has ended, every [`FAILURE_COUNT_PRUNE`], so the
/// store holds the keys of about one window (every instance prunes; once is enough, twice
/// is harmless).
fn spawn_failure_count_pruning(store: Arc<dyn RelayStore>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(FAILURE_COUNT_PRUNE);
        loop {
            ticks.tick().await;
            let store = store.clone();
            match tokio::task::spawn_blocking(move || store.prune_failure_counts(now_ms())).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!("rate-limit counts not pruned: {e}"),
                Err(e) => tracing::error!("rate-limit pruning task failed: {e}"),
            }
        }
    });
}

/// The demo's HR users: an administrator, a recruiter and an archivist.
const DEMO_HR_USERS: [(&str, &str, kiosk_sync_server::hr::accounts::Role); 3] = [
    (
        "hr-admin",
        "Demo Administratör",
        kiosk_sync_server::hr::accounts::Role::Admin,
    ),
    (
        "rekryterare",
        "Demo Rekryterare",
        kiosk_sync_server::hr::accounts::Role::Recruiter,
    ),
    (
        "arkivarie",
        "Demo Arkivarie",
        kiosk_sync_server::hr::accounts::Role::Archivist,
    ),
];

/// The demo recruiter, whom the demo's staff code names: the staff tablet's notes and
/// ratings are theirs, under this username, as in the console.
const DEMO_RECRUITER: &str = "rekryterare";

/// A demo user's username, role and one-time password.
type DemoUser = (&'static str, kiosk_sync_server::hr::accounts::Role, String);

/// Creates the demo's HR users, or gives them new one-time passwords, makes sure the demo
/// recruiter is enabled, a recruiter and assigned to `event`, and returns each user's
/// username, role and one-time password.
fn demo_hr_users(
    store: &dyn RelayStore,
    event: &str,
    now: i64,
) -> Result<Vec<DemoUser>, Box<dyn std::error::Error>> {
    let mut created = Vec::new();
    for (username, name, role) in DEMO_HR_USERS {
        let existing = store.hr_user_by_username(username)?.is_some();
        let (user, one_time) = if existing {
            kiosk_sync_server::hr::reset_to_one_time_password(store, username)?
        } else {
            kiosk_sync_server::hr::provision_user(store, username, name, vec![role], now)?
        };
        if username == DEMO_RECRUITER {
            use kiosk_sync_server::enrollment::{RecruiterRefusal, recruiter_standing};
            match recruiter_standing(store, username, event)? {
                Ok(_) | Err(RecruiterRefusal::NotAssigned) => {
                    store.assign_hr_event(user.id, event)?;
                }
                Err(refusal) => {
                    return Err(format!(
                        "the demo's staff code cannot name {username}: {refusal}; use a fresh \
                         --data-dir"
                    )
                    .into());
                }
            }
        }
        created.push((username, role, one_time));
    }
    Ok(created)
}

async fn demo(listen: SocketAddr, data_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    if !listen.ip().is_loopback() {
        return Err("the demo serves plain HTTP on loopback only".into());
    }
    let _running = take_run_lock(data_dir)?;
    let (store, keys) = open_sqlite(data_dir, false)?;
    store_demo_event(store.as_ref())?;
    let now = now_ms();
    let week = now + 7 * 24 * 3_600_000;
    let event = kiosk_core::demo::DEMO_EVENT_ID;
    let hr_users = demo_hr_users(store.as_ref(), event, now)?;
    let kiosk = create_code(
        store.as_ref(),
        event,
        EnrolledRole::Kiosk,
        None,
        5,
        week,
        now,
    )?;
    let staff = create_code(
        store.as_ref(),
        event,
        EnrolledRole::Staff,
        Some(DEMO_RECRUITER.into()),
        2,
        week,
        now,
    )?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    println!(
        "Kiosk relay (demo) on http://{address}, data in {}",
        data_dir.display()
    );
    println!(
        "  relay sealing key id {}",
        keys.sealing.sealing_key().key_id
    );
    println!(
        "  enrollment code, kiosk (5 tablets, 7 days): {}",
        kiosk.display()
    );
    let key_id = &keys.sealing.sealing_key().key_id;
    let relay = format!("http://{address}");
    print_qr(&enrollment::qr_text(&relay, &kiosk, key_id));
    println!(
        "  enrollment code, staff (2 tablets, 7 days): {}",
        staff.display()
    );
    print_qr(&enrollment::qr_text(&relay, &staff, key_id));
    println!("  the visitor's kiosk in a browser, from a second terminal:");
    println!(
        "    cargo run --release -p kiosk-web -- --relay {relay} --enroll {}",
        kiosk.display()
    );
    println!(
        "    then choose its staff PIN at http://127.0.0.1:8710/staff and open http://127.0.0.1:8710/"
    );
    println!("  health:    http://{address}/healthz");
    println!("  demo form: http://{address}/v1/events/{event}/form");
    println!("  HR console: http://{address}/console/login");
    println!("  (the staff code's tablet works for {DEMO_RECRUITER}, assigned to the demo event)");
    println!("  HR users (one-time passwords, new on every demo start; choose your own first):");
    for (username, role, one_time) in hr_users {
        println!("    {username:<12} ({}) {one_time}", role.as_str());
    }
    println!(
        "  log in: curl -i -H 'Content-Type: application/json' \\\n      -d '{{\"username\":\"hr-admin\",\"password\":\"<its one-time password>\"}}' \\\n      http://{address}/api/v1/login"
    );
    println!(
        "  then POST /api/v1/password {{current_password, new_password}} with the cookie and the \n  returned csrf_token as X-CSRF-Token (or log in to the HR console above)"
    );
    let mut state = AppState::new(store, keys);
    // Seen-before and do-not-contact flags, as a served relay has them.
    state.index_keys = Arc::new(kiosk_sync_server::blind_index::keys_for_store(
        data_dir,
        state.store.as_ref(),
        false,
    )?);
    kiosk_sync_server::blind_index::spawn_indexing(state.store.clone(), state.index_keys.clone());
    state.log_key = Arc::new(
        kiosk_sync_server::transparency::checkpoint::load_for_store(
            data_dir,
            None,
            state.store.as_ref(),
            false,
        )
        .map_err(|e| format!("the transparency log key in {}: {e}", data_dir.display()))?,
    );
    kiosk_sync_server::visitor_receipt::key::check_for_store(
        data_dir,
        &state.keys.receipt,
        state.store.as_ref(),
        false,
    )?;
    serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// `verify-log`: checks the whole transparency log and prints what it checked; the first
/// disagreement is the error (and the exit status non-zero).
fn verify_log(
    store: &dyn RelayStore,
    settings: &Settings,
    checkpoint: Option<&std::path::Path>,
    witnesses: &[kiosk_core::tlog::cosignature::CosignatureVerifier],
    max_cosignature_age: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    use kiosk_sync_server::transparency::checkpoint::{LOG_KEY_FILE, open_checkpoint};
    use kiosk_sync_server::transparency::leaf::LeafKind;
    let data_dir = settings.data_dir_or_default();
    let saved = match checkpoint {
        None => None,
        Some(path) => {
            // The log key must exist: a new one would verify nothing the relay signed.
            if !data_dir.join(LOG_KEY_FILE).exists() {
                return Err(format!(
                    "no {LOG_KEY_FILE} in {}: the checkpoint's signature cannot be checked",
                    data_dir.display()
                )
                .into());
            }
            // Compared with the key the store records, never made nor bound.
            let key = kiosk_sync_server::transparency::checkpoint::check_for_store(
                &data_dir,
                settings.log_origin.as_deref(),
                store,
            )
            .map_err(|e| format!("the transparency log key: {e}"))?;
            let text = read_bounded_text(path, 64 * 1024)
                .map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
            let saved = open_checkpoint(&text, &key.verifier())
                .map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
            println!(
                "checkpoint {}: signed by the log key ({}), size {}, root {}",
                path.display(),
                key.origin(),
                saved.size,
                hex::encode(saved.root)
            );
            // A checkpoint the named witnesses never cosigned may be one half of a split
            // view: refused before the log is read.
            if !witnesses.is_empty() {
                let cosigned = kiosk_core::cosigned_checkpoint::open_cosigned(
                    &text,
                    &key.verifier(),
                    witnesses,
                )
                .map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
                let now = u64::try_from(kiosk_sync_server::now_ms() / 1_000).unwrap_or(0);
                for (name, time) in cosigned.cosigned {
                    kiosk_sync_server::transparency::verify::check_cosignature_age(
                        &name,
                        time,
                        now,
                        max_cosignature_age,
                    )
                    .map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
                    println!(
                        "checkpoint {}: cosigned by witness {name} at {time} (POSIX seconds)",
                        path.display()
                    );
                }
            }
            Some(saved)
        }
    };
    let checked = kiosk_sync_server::transparency::verify::verify_log(store, saved, |done| {
        if done % 100_000 < kiosk_sync_server::storage::LOG_READ_LIMIT as u64 {
            eprintln!("  {done} leaves checked");
        }
    })
    .map_err(|e| format!("transparency log: {e}"))?;
    println!(
        "transparency log: {} leaves decoded and hashed again, {} stored subtrees and the head \
         match the rebuilt tree, root {}",
        checked.size,
        checked.nodes,
        hex::encode(checked.root)
    );
    for (kind, count) in LeafKind::ALL.iter().zip(checked.kinds) {
        if count > 0 {
            println!("  {:<20} {count}", kind.name());
        }
    }
    if let Some(size) = checked.checkpoint {
        println!(
            "checkpoint holds: the log's first {size} leaves give its root, and the log of {} \
             leaves is consistent with it",
            checked.size
        );
    }
    Ok(())
}

/// A small text file, refused past `limit` bytes before it is read whole.
fn read_bounded_text(path: &std::path::Path, limit: u64) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut text = String::new();
    file.take(limit + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes: not a checkpoint"));
    }
    Ok(text)
}
