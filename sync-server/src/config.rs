//! The relay's settings: where it listens, where it keeps its data, its TLS certificate and
//! key, and its log filter. They come from command-line flags, environment variables
//! (`KIOSK_*`) and a TOML file, in that order of precedence, over defaults; this module owns
//! that merge, the texts of its errors, and the rule that plain HTTP is served only on
//! loopback unless explicitly allowed for development.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::backup_settings::{BackupSchedule, BackupSettings};
use crate::connections::{ConnectionLimits, DEFAULT_LIMITS};

/// Where the relay listens when nothing says otherwise.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8700);
/// Where the relay keeps its database and keys when nothing says otherwise (relative to the
/// working directory).
pub const DEFAULT_DATA_DIR: &str = "kiosk-data";
/// The log filter when nothing says otherwise.
pub const DEFAULT_LOG: &str = "info,tower_http=info";
/// How long access-log entries are kept when nothing says otherwise: 60 months. The log
/// holds no visitor data (record ids, usernames, actions); the agency sets the real figure
/// by its own decision, e.g. in its *informationshanteringsplan*.
pub const DEFAULT_ACCESS_LOG_RETENTION_MONTHS: u32 = 60;

/// Names the config file to read.
pub const ENV_CONFIG: &str = "KIOSK_CONFIG";
pub const ENV_LISTEN: &str = "KIOSK_LISTEN";
pub const ENV_DATA_DIR: &str = "KIOSK_DATA_DIR";
/// A `postgres://` URL: the relay keeps its store in that PostgreSQL database instead of
/// the SQLite file in the data directory.
pub const ENV_DATABASE_URL: &str = "KIOSK_DATABASE_URL";
pub const ENV_TLS_CERT: &str = "KIOSK_TLS_CERT";
pub const ENV_TLS_KEY: &str = "KIOSK_TLS_KEY";
pub const ENV_DEV_PLAIN_HTTP: &str = "KIOSK_DEV_PLAIN_HTTP";
pub const ENV_LOG: &str = "KIOSK_LOG";
pub const ENV_LOG_FORMAT: &str = "KIOSK_LOG_FORMAT";
/// Reverse proxies whose forwarding headers are believed: ranges separated by commas.
pub const ENV_TRUSTED_PROXIES: &str = "KIOSK_TRUSTED_PROXIES";
pub const ENV_ACCESS_LOG_RETENTION_MONTHS: &str = "KIOSK_ACCESS_LOG_RETENTION_MONTHS";
pub const ENV_ACCESSIBILITY_CONTACT: &str = "KIOSK_ACCESSIBILITY_CONTACT";
/// The transparency log's origin line (its name in checkpoints).
pub const ENV_LOG_ORIGIN: &str = "KIOSK_LOG_ORIGIN";
/// The witnesses whose cosignatures the relay takes (vkeys, comma-separated).
pub const ENV_WITNESS_KEYS: &str = "KIOSK_WITNESS_KEYS";
pub const ENV_HEADER_READ_TIMEOUT_SECS: &str = "KIOSK_HEADER_READ_TIMEOUT_SECS";
pub const ENV_BODY_READ_TIMEOUT_SECS: &str = "KIOSK_BODY_READ_TIMEOUT_SECS";
pub const ENV_IDLE_TIMEOUT_SECS: &str = "KIOSK_IDLE_TIMEOUT_SECS";
pub const ENV_TLS_HANDSHAKE_TIMEOUT_SECS: &str = "KIOSK_TLS_HANDSHAKE_TIMEOUT_SECS";
pub const ENV_MAX_CONNECTIONS: &str = "KIOSK_MAX_CONNECTIONS";
pub const ENV_MAX_CONNECTIONS_PER_CLIENT: &str = "KIOSK_MAX_CONNECTIONS_PER_CLIENT";
/// Read when `KIOSK_LOG` is not set, as before the relay had its own variable.
pub const ENV_RUST_LOG: &str = "RUST_LOG";

/// The keys a config file may hold, as error texts list them.
pub const FILE_KEYS: [&str; 19] = [
    "listen",
    "data_dir",
    "database_url",
    "tls_cert",
    "tls_key",
    "dev_plain_http",
    "log",
    "access_log_retention_months",
    "accessibility_contact",
    "log_origin",
    "witness_keys",
    "header_read_timeout_secs",
    "body_read_timeout_secs",
    "idle_timeout_secs",
    "tls_handshake_timeout_secs",
    "max_connections",
    "max_connections_per_client",
    "log_format",
    "trusted_proxies",
];

const EXPECT_ADDRESS: &str = "an IP address and port, like \"0.0.0.0:8443\"";
const EXPECT_PATH: &str = "a file path in quotes";
const EXPECT_DATABASE_URL: &str =
    "a PostgreSQL URL in quotes, like \"postgres://kiosk@db.example:5432/kiosk\"";
const EXPECT_BOOL: &str = "true or false";
const EXPECT_LOG: &str = "a log filter, like \"info\" or \"info,tower_http=debug\"";
const EXPECT_MONTHS: &str = "a whole number of months from 12 to 1200, like 60";
const EXPECT_WITNESS_KEYS: &str = "witness verifier keys (`kiosk-sync-server witness --show-key` prints one), \
     like [\"arkiv.myndighet.se/kiosk-witness+1a2b3c4d+BA…\"], at most 16";
const EXPECT_ORIGIN: &str =
    "a log name without spaces or '+', at most 256 bytes, like \"relay.myndighet.se/kiosk-log\"";
const EXPECT_EMAIL: &str = "an email address, like \"tillganglighet@myndighet.se\"";
const EXPECT_SECONDS: &str = "a whole number of seconds from 1 to 3600, like 30";
const EXPECT_CONNECTIONS: &str = "a whole number of connections from 1 to 65536, like 256";
const EXPECT_LOG_FORMAT: &str = crate::log_format::EXPECT_LOG_FORMAT;
const EXPECT_PROXIES: &str = "address ranges like \"10.0.0.0/8\" (a list in the config file, commas between them in the environment; at most 64)";

/// The range of every connection timeout, in seconds: 0 would drop every client, and more
/// than an hour would not bound anything.
pub const TIMEOUT_SECONDS: std::ops::RangeInclusive<u64> = 1..=3600;
/// The range of `max_connections`.
pub const MAX_CONNECTIONS: std::ops::RangeInclusive<usize> = 1..=65536;

/// Why the settings cannot be used. Names the setting and where it came from; carries no
/// file contents.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {}: {source}", path.display())]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {} is not valid TOML: {reason}", path.display())]
    Syntax { path: PathBuf, reason: String },
    #[error(
        "the config file {} has an unknown key `{key}` (known keys: {}, {})",
        path.display(),
        FILE_KEYS.join(", "),
        crate::backup_settings::FILE_KEYS.join(", ")
    )]
    UnknownKey { path: PathBuf, key: String },
    #[error("in the config file {}, `{key}` must be {expected}", path.display())]
    BadFileValue {
        path: PathBuf,
        key: &'static str,
        expected: &'static str,
    },
    #[error(
        "backup_every, backup_keep or backup_offsite_only is set without a backup folder: \
         set --backup-dir, KIOSK_BACKUP_DIR or `backup_dir` in the config file"
    )]
    BackupWithoutDir,
    #[error("the environment variable {name} must be {expected}")]
    BadEnvValue {
        name: &'static str,
        expected: &'static str,
    },
    #[error(
        "a TLS certificate is given but no private key: set --tls-key, {ENV_TLS_KEY} or \
         `tls_key` in the config file"
    )]
    MissingTlsKey,
    #[error(
        "a TLS private key is given but no certificate: set --tls-cert, {ENV_TLS_CERT} or \
         `tls_cert` in the config file"
    )]
    MissingTlsCert,
    #[error(
        "{listen} is not a loopback address, and plain HTTP is served only on loopback: give \
         a TLS certificate and key (--tls-cert and --tls-key, {ENV_TLS_CERT} and \
         {ENV_TLS_KEY}, or `tls_cert` and `tls_key` in the config file), or allow plain HTTP \
         with --dev-plain-http (development only)"
    )]
    PlainHttpRefused { listen: SocketAddr },
}

/// A PostgreSQL database URL (`postgres://` or `postgresql://`). It may hold a password,
/// so its `Debug` shows only the scheme.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// `text` as a database URL, if it is a PostgreSQL one.
    pub fn parse(text: &str) -> Option<DatabaseUrl> {
        let text = text.trim();
        crate::storage::is_postgres_url(text).then(|| DatabaseUrl(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl(postgres://…)")
    }
}

/// Settings from one source (flags, environment or file); `None` where it says nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Settings {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    /// The PostgreSQL database holding the store; `None`: the SQLite file in `data_dir`.
    pub database_url: Option<DatabaseUrl>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub dev_plain_http: Option<bool>,
    pub log: Option<String>,
    /// How many months access-log entries are kept before pruning removes them.
    pub access_log_retention_months: Option<u32>,
    /// Where visitors of the console report accessibility problems (an email address), as
    /// the accessibility statement names it.
    pub accessibility_contact: Option<String>,
    /// The transparency log's origin (`crate::transparency::checkpoint`); unset: derived
    /// from the log key.
    pub log_origin: Option<String>,
    /// The witnesses whose cosignatures of the log's checkpoints are taken
    /// (`crate::witness::intake`).
    pub witness_keys: Option<Vec<kiosk_core::tlog::cosignature::CosignatureVerifier>>,
    /// Seconds a client has to send a request's head (also how long an idle keep-alive
    /// connection stays open).
    pub header_read_timeout_secs: Option<u64>,
    /// Seconds a client has to send a request's whole body.
    pub body_read_timeout_secs: Option<u64>,
    /// Seconds without a byte either way after which a connection is closed.
    pub idle_timeout_secs: Option<u64>,
    /// Seconds a client has to complete the TLS handshake.
    pub tls_handshake_timeout_secs: Option<u64>,
    /// Connections served at once.
    pub max_connections: Option<usize>,
    /// Connections one client address is served at once.
    pub max_connections_per_client: Option<usize>,
    /// `serve`'s scheduled backups (see [`crate::backup_settings`]).
    pub backup: BackupSettings,
    /// Text or JSON log lines.
    pub log_format: Option<crate::log_format::LogFormat>,
    /// Reverse proxies whose `X-Forwarded-For`/`Forwarded` headers name the client.
    pub trusted_proxies: Option<crate::client_address::TrustedProxies>,
}

impl Settings {
    /// `self`, with what it leaves unset taken from `lower`.
    pub fn over(self, lower: Settings) -> Settings {
        Settings {
            listen: self.listen.or(lower.listen),
            data_dir: self.data_dir.or(lower.data_dir),
            database_url: self.database_url.or(lower.database_url),
            tls_cert: self.tls_cert.or(lower.tls_cert),
            tls_key: self.tls_key.or(lower.tls_key),
            dev_plain_http: self.dev_plain_http.or(lower.dev_plain_http),
            log: self.log.or(lower.log),
            access_log_retention_months: self
                .access_log_retention_months
                .or(lower.access_log_retention_months),
            accessibility_contact: self.accessibility_contact.or(lower.accessibility_contact),
            log_origin: self.log_origin.or(lower.log_origin),
            witness_keys: self.witness_keys.or(lower.witness_keys),
            header_read_timeout_secs: self
                .header_read_timeout_secs
                .or(lower.header_read_timeout_secs),
            body_read_timeout_secs: self.body_read_timeout_secs.or(lower.body_read_timeout_secs),
            idle_timeout_secs: self.idle_timeout_secs.or(lower.idle_timeout_secs),
            tls_handshake_timeout_secs: self
                .tls_handshake_timeout_secs
                .or(lower.tls_handshake_timeout_secs),
            max_connections: self.max_connections.or(lower.max_connections),
            max_connections_per_client: self
                .max_connections_per_client
                .or(lower.max_connections_per_client),
            backup: self.backup.over(lower.backup),
            log_format: self.log_format.or(lower.log_format),
            trusted_proxies: self.trusted_proxies.or(lower.trusted_proxies),
        }
    }

    /// Reads the `KIOSK_*` variables through `var` (`std::env::var_os` in the binary). An
    /// empty variable counts as unset.
    pub fn from_env(var: impl Fn(&str) -> Option<OsString>) -> Result<Settings, ConfigError> {
        let get = |name: &str| var(name).filter(|value| !value.is_empty());
        let text = |name: &'static str, expected: &'static str| {
            get(name)
                .map(|value| {
                    value
                        .into_string()
                        .map_err(|_| ConfigError::BadEnvValue { name, expected })
                })
                .transpose()
        };
        let listen = text(ENV_LISTEN, EXPECT_ADDRESS)?
            .map(|value| {
                value.trim().parse().map_err(|_| ConfigError::BadEnvValue {
                    name: ENV_LISTEN,
                    expected: EXPECT_ADDRESS,
                })
            })
            .transpose()?;
        let database_url = text(ENV_DATABASE_URL, EXPECT_DATABASE_URL)?
            .map(|value| {
                DatabaseUrl::parse(&value).ok_or(ConfigError::BadEnvValue {
                    name: ENV_DATABASE_URL,
                    expected: EXPECT_DATABASE_URL,
                })
            })
            .transpose()?;
        let dev_plain_http = text(ENV_DEV_PLAIN_HTTP, EXPECT_BOOL)?
            .map(|value| {
                parse_bool(&value).ok_or(ConfigError::BadEnvValue {
                    name: ENV_DEV_PLAIN_HTTP,
                    expected: EXPECT_BOOL,
                })
            })
            .transpose()?;
        let log = match text(ENV_LOG, EXPECT_LOG)? {
            Some(filter) => Some((ENV_LOG, filter)),
            None => text(ENV_RUST_LOG, EXPECT_LOG)?.map(|filter| (ENV_RUST_LOG, filter)),
        };
        let log = log
            .map(|(name, filter)| {
                check_log_filter(&filter)
                    .map(|()| filter)
                    .map_err(|_| ConfigError::BadEnvValue {
                        name,
                        expected: EXPECT_LOG,
                    })
            })
            .transpose()?;
        let access_log_retention_months = text(ENV_ACCESS_LOG_RETENTION_MONTHS, EXPECT_MONTHS)?
            .map(|value| {
                parse_months(&value).ok_or(ConfigError::BadEnvValue {
                    name: ENV_ACCESS_LOG_RETENTION_MONTHS,
                    expected: EXPECT_MONTHS,
                })
            })
            .transpose()?;
        let log_origin = text(ENV_LOG_ORIGIN, EXPECT_ORIGIN)?
            .map(|value| {
                log_origin(&value).ok_or(ConfigError::BadEnvValue {
                    name: ENV_LOG_ORIGIN,
                    expected: EXPECT_ORIGIN,
                })
            })
            .transpose()?;
        let witness_keys = text(ENV_WITNESS_KEYS, EXPECT_WITNESS_KEYS)?
            .map(|value| {
                witness_keys(&value.split(',').collect::<Vec<_>>()).ok_or(
                    ConfigError::BadEnvValue {
                        name: ENV_WITNESS_KEYS,
                        expected: EXPECT_WITNESS_KEYS,
                    },
                )
            })
            .transpose()?;
        let accessibility_contact = text(ENV_ACCESSIBILITY_CONTACT, EXPECT_EMAIL)?
            .map(|value| {
                contact_email(&value).ok_or(ConfigError::BadEnvValue {
                    name: ENV_ACCESSIBILITY_CONTACT,
                    expected: EXPECT_EMAIL,
                })
            })
            .transpose()?;
        let seconds = |name: &'static str| {
            text(name, EXPECT_SECONDS)?
                .map(|value| {
                    parse_seconds(&value).ok_or(ConfigError::BadEnvValue {
                        name,
                        expected: EXPECT_SECONDS,
                    })
                })
                .transpose()
        };
        let connections = |name| -> Result<Option<usize>, ConfigError> {
            text(name, EXPECT_CONNECTIONS)?
                .map(|value| {
                    parse_connections(&value).ok_or(ConfigError::BadEnvValue {
                        name,
                        expected: EXPECT_CONNECTIONS,
                    })
                })
                .transpose()
        };
        let max_connections = connections(ENV_MAX_CONNECTIONS)?;
        let max_connections_per_client = connections(ENV_MAX_CONNECTIONS_PER_CLIENT)?;
        let log_format = text(ENV_LOG_FORMAT, EXPECT_LOG_FORMAT)?
            .map(|value| {
                value.parse().map_err(|_| ConfigError::BadEnvValue {
                    name: ENV_LOG_FORMAT,
                    expected: EXPECT_LOG_FORMAT,
                })
            })
            .transpose()?;
        let trusted_proxies = text(ENV_TRUSTED_PROXIES, EXPECT_PROXIES)?
            .map(|value| {
                crate::client_address::TrustedProxies::parse_list(&value).map_err(|_| {
                    ConfigError::BadEnvValue {
                        name: ENV_TRUSTED_PROXIES,
                        expected: EXPECT_PROXIES,
                    }
                })
            })
            .transpose()?;
        Ok(Settings {
            log_format,
            trusted_proxies,
            header_read_timeout_secs: seconds(ENV_HEADER_READ_TIMEOUT_SECS)?,
            body_read_timeout_secs: seconds(ENV_BODY_READ_TIMEOUT_SECS)?,
            idle_timeout_secs: seconds(ENV_IDLE_TIMEOUT_SECS)?,
            tls_handshake_timeout_secs: seconds(ENV_TLS_HANDSHAKE_TIMEOUT_SECS)?,
            max_connections,
            max_connections_per_client,
            listen,
            data_dir: get(ENV_DATA_DIR).map(PathBuf::from),
            database_url,
            tls_cert: get(ENV_TLS_CERT).map(PathBuf::from),
            tls_key: get(ENV_TLS_KEY).map(PathBuf::from),
            dev_plain_http,
            log,
            access_log_retention_months,
            accessibility_contact,
            log_origin,
            witness_keys,
            backup: BackupSettings::from_env(&var)?,
        })
    }

    /// Reads a TOML config file. Relative paths in it are taken relative to the file's
    /// directory, so a file and the certificates beside it can move together.
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        Settings::from_toml(&text, path)
    }

    /// Parses the text of the config file at `path` (named in errors; its directory anchors
    /// relative paths).
    pub fn from_toml(text: &str, path: &Path) -> Result<Settings, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: path.to_owned(),
                    reason: syntax_reason(&e, text),
                })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let mut settings = Settings::default();
        for (key, value) in table {
            let bad = |key: &'static str, expected| ConfigError::BadFileValue {
                path: path.to_owned(),
                key,
                expected,
            };
            let file_path = |key, value: &toml::Value| {
                value
                    .as_str()
                    .filter(|text| !text.is_empty())
                    .map(|text| base.join(text))
                    .ok_or_else(|| bad(key, EXPECT_PATH))
            };
            match key.as_str() {
                "listen" => {
                    let address = value.as_str().and_then(|text| text.trim().parse().ok());
                    settings.listen = Some(address.ok_or_else(|| bad("listen", EXPECT_ADDRESS))?);
                }
                "data_dir" => settings.data_dir = Some(file_path("data_dir", &value)?),
                "database_url" => {
                    let url = value.as_str().and_then(DatabaseUrl::parse);
                    settings.database_url =
                        Some(url.ok_or_else(|| bad("database_url", EXPECT_DATABASE_URL))?);
                }
                "tls_cert" => settings.tls_cert = Some(file_path("tls_cert", &value)?),
                "tls_key" => settings.tls_key = Some(file_path("tls_key", &value)?),
                "dev_plain_http" => {
                    let allowed = value.as_bool();
                    settings.dev_plain_http =
                        Some(allowed.ok_or_else(|| bad("dev_plain_http", EXPECT_BOOL))?);
                }
                "log" => {
                    let filter = value
                        .as_str()
                        .filter(|filter| check_log_filter(filter).is_ok())
                        .ok_or_else(|| bad("log", EXPECT_LOG))?;
                    settings.log = Some(filter.to_owned());
                }
                "log_format" => {
                    let format = value.as_str().and_then(|text| text.parse().ok());
                    settings.log_format =
                        Some(format.ok_or_else(|| bad("log_format", EXPECT_LOG_FORMAT))?);
                }
                "trusted_proxies" => {
                    let list = value.as_array().and_then(|items| {
                        let texts = items
                            .iter()
                            .map(toml::Value::as_str)
                            .collect::<Option<Vec<&str>>>()?;
                        crate::client_address::TrustedProxies::parse_list(&texts.join(",")).ok()
                    });
                    settings.trusted_proxies =
                        Some(list.ok_or_else(|| bad("trusted_proxies", EXPECT_PROXIES))?);
                }
                "witness_keys" => {
                    let keys = value.as_array().and_then(|items| {
                        let texts = items
                            .iter()
                            .map(toml::Value::as_str)
                            .collect::<Option<Vec<&str>>>()?;
                        witness_keys(&texts)
                    });
                    settings.witness_keys =
                        Some(keys.ok_or_else(|| bad("witness_keys", EXPECT_WITNESS_KEYS))?);
                }
                "log_origin" => {
                    let origin = value.as_str().and_then(log_origin);
                    settings.log_origin =
                        Some(origin.ok_or_else(|| bad("log_origin", EXPECT_ORIGIN))?);
                }
                "accessibility_contact" => {
                    let email = value.as_str().and_then(contact_email);
                    settings.accessibility_contact =
                        Some(email.ok_or_else(|| bad("accessibility_contact", EXPECT_EMAIL))?);
                }
                "header_read_timeout_secs"
                | "body_read_timeout_secs"
                | "idle_timeout_secs"
                | "tls_handshake_timeout_secs" => {
                    let name = FILE_KEYS
                        .into_iter()
                        .find(|known| *known == key)
                        .expect("a known key");
                    let secs = value
                        .as_integer()
                        .and_then(|n| parse_seconds(&n.to_string()))
                        .ok_or_else(|| bad(name, EXPECT_SECONDS))?;
                    let slot = match name {
                        "header_read_timeout_secs" => &mut settings.header_read_timeout_secs,
                        "body_read_timeout_secs" => &mut settings.body_read_timeout_secs,
                        "idle_timeout_secs" => &mut settings.idle_timeout_secs,
                        _ => &mut settings.tls_handshake_timeout_secs,
                    };
                    *slot = Some(secs);
                }
                "max_connections" | "max_connections_per_client" => {
                    let name = FILE_KEYS
                        .into_iter()
                        .find(|known| *known == key)
                        .expect("a known key");
                    let connections = value
                        .as_integer()
                        .and_then(|n| parse_connections(&n.to_string()))
                        .ok_or_else(|| bad(name, EXPECT_CONNECTIONS))?;
                    let slot = if name == "max_connections" {
                        &mut settings.max_connections
                    } else {
                        &mut settings.max_connections_per_client
                    };
                    *slot = Some(connections);
                }
                key if crate::backup_settings::FILE_KEYS.contains(&key) => {
                    settings.backup.set_from_file(key, &value, path)?;
                }
                "access_log_retention_months" => {
                    let months = value
                        .as_integer()
                        .and_then(|n| parse_months(&n.to_string()));
                    settings.access_log_retention_months = Some(
                        months.ok_or_else(|| bad("access_log_retention_months", EXPECT_MONTHS))?,
                    );
                }
                _ => {
                    return Err(ConfigError::UnknownKey {
                        path: path.to_owned(),
                        key,
                    });
                }
            }
        }
        Ok(settings)
    }

    /// The data directory, or the default.
    pub fn data_dir_or_default(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }

    /// The log filter, or the default.
    pub fn log_or_default(&self) -> String {
        self.log.clone().unwrap_or_else(|| DEFAULT_LOG.to_owned())
    }

    /// The connection limits, with the defaults for what is unset.
    pub fn connection_limits(&self) -> ConnectionLimits {
        let secs = |set: Option<u64>, default: Duration| set.map_or(default, Duration::from_secs);
        ConnectionLimits {
            header_read_timeout: secs(
                self.header_read_timeout_secs,
                DEFAULT_LIMITS.header_read_timeout,
            ),
            body_read_timeout: secs(
                self.body_read_timeout_secs,
                DEFAULT_LIMITS.body_read_timeout,
            ),
            idle_timeout: secs(self.idle_timeout_secs, DEFAULT_LIMITS.idle_timeout),
            tls_handshake_timeout: secs(
                self.tls_handshake_timeout_secs,
                DEFAULT_LIMITS.tls_handshake_timeout,
            ),
            max_connections: self
                .max_connections
                .unwrap_or(DEFAULT_LIMITS.max_connections),
            max_connections_per_client: self
                .max_connections_per_client
                .unwrap_or(DEFAULT_LIMITS.max_connections_per_client),
        }
    }

    /// The access log's retention in months, or the default.
    pub fn access_log_retention_months_or_default(&self) -> u32 {
        self.access_log_retention_months
            .unwrap_or(DEFAULT_ACCESS_LOG_RETENTION_MONTHS)
    }
}

/// Gathers the settings: `flags` over the environment (read through `var`) over the config
/// file named by `config` (the `--config` flag) or else by `KIOSK_CONFIG`.
pub fn gather(
    flags: Settings,
    config: Option<&Path>,
    var: impl Fn(&str) -> Option<OsString>,
) -> Result<Settings, ConfigError> {
    let file = match config.map(Path::to_owned).or_else(|| {
        var(ENV_CONFIG)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    }) {
        Some(path) => Settings::from_file(&path)?,
        None => Settings::default(),
    };
    Ok(flags.over(Settings::from_env(var)?).over(file))
}

/// How the relay serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// HTTPS with the certificate chain and private key in these PEM files.
    Https { certificate: PathBuf, key: PathBuf },
    /// Plain HTTP: on loopback, or on another address by explicit development opt-in.
    PlainHttp,
}

/// Decides how the relay serves on `listen`: HTTPS when a certificate and key are given;
/// otherwise plain HTTP, which is refused on a non-loopback address unless
/// `dev_plain_http`, because tablets' pushes would cross the network readable.
pub fn scheme_for(
    listen: SocketAddr,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    dev_plain_http: bool,
) -> Result<Scheme, ConfigError> {
    match (tls_cert, tls_key) {
        (Some(certificate), Some(key)) => Ok(Scheme::Https { certificate, key }),
        (Some(_), None) => Err(ConfigError::MissingTlsKey),
        (None, Some(_)) => Err(ConfigError::MissingTlsCert),
        (None, None) if listen.ip().is_loopback() || dev_plain_http => Ok(Scheme::PlainHttp),
        (None, None) => Err(ConfigError::PlainHttpRefused { listen }),
    }
}

/// What `serve` runs with, once every source is merged and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The PostgreSQL database holding the store; `None`: SQLite in `data_dir`.
    pub database_url: Option<DatabaseUrl>,
    pub scheme: Scheme,
    pub log: String,
    /// The accessibility statement's contact address, if the operator set one.
    pub accessibility_contact: Option<String>,
    /// The transparency log's origin, if the operator set one.
    pub log_origin: Option<String>,
    /// The witnesses whose cosignatures the relay takes; empty: none.
    pub witness_keys: Vec<kiosk_core::tlog::cosignature::CosignatureVerifier>,
    /// Timeouts and the connection cap.
    pub limits: ConnectionLimits,
    /// Scheduled backups, if a folder is set (SQLite only; `serve` refuses them on
    /// PostgreSQL).
    pub backup: Option<BackupSchedule>,
    pub log_format: crate::log_format::LogFormat,
    /// Reverse proxies whose forwarding headers name the client; empty: none.
    pub trusted_proxies: crate::client_address::TrustedProxies,
}

impl ServeConfig {
    /// Fills what `settings` leaves unset with the defaults and decides the scheme.
    pub fn from_settings(settings: Settings) -> Result<ServeConfig, ConfigError> {
        let listen = settings.listen.unwrap_or(DEFAULT_LISTEN);
        let scheme = scheme_for(
            listen,
            settings.tls_cert.clone(),
            settings.tls_key.clone(),
            settings.dev_plain_http.unwrap_or(false),
        )?;
        Ok(ServeConfig {
            listen,
            data_dir: settings.data_dir_or_default(),
            database_url: settings.database_url.clone(),
            log: settings.log_or_default(),
            accessibility_contact: settings.accessibility_contact.clone(),
            log_origin: settings.log_origin.clone(),
            witness_keys: settings.witness_keys.clone().unwrap_or_default(),
            limits: settings.connection_limits(),
            backup: settings.backup.schedule()?,
            log_format: settings.log_format.unwrap_or_default(),
            trusted_proxies: settings.trusted_proxies.clone().unwrap_or_default(),
            scheme,
        })
    }
}

/// Checks that `filter` is a tracing filter (`info`, `warn,kiosk_sync_server=debug`).
pub fn check_log_filter(filter: &str) -> Result<(), String> {
    tracing_subscriber::EnvFilter::builder()
        .parse(filter)
        .map(|_| ())
        .map_err(|_| format!("expected {EXPECT_LOG}"))
}

/// A retention in months, 12 to 1200: an access log kept less than a year could not answer
/// for last year's records (and 0 would empty it at the next pruning).
/// How long the access log may be set to keep its entries, in months.
pub const ACCESS_LOG_RETENTION_MONTHS: std::ops::RangeInclusive<u32> = 12..=1200;

fn parse_seconds(value: &str) -> Option<u64> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|secs| TIMEOUT_SECONDS.contains(secs))
}

fn parse_connections(value: &str) -> Option<usize> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| MAX_CONNECTIONS.contains(n))
}

fn parse_months(value: &str) -> Option<u32> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|months| ACCESS_LOG_RETENTION_MONTHS.contains(months))
}

/// The most witnesses a relay trusts (each costs one verification per cosignature).
const MAX_WITNESS_KEYS: usize = 16;

/// Witness verifier keys, each trimmed; `None` if one is not a cosignature vkey, one is
/// named twice, or there are more than [`MAX_WITNESS_KEYS`].
fn witness_keys(texts: &[&str]) -> Option<Vec<kiosk_core::tlog::cosignature::CosignatureVerifier>> {
    if texts.len() > MAX_WITNESS_KEYS {
        return None;
    }
    let keys = texts
        .iter()
        .map(|text| kiosk_core::tlog::cosignature::CosignatureVerifier::parse(text.trim()).ok())
        .collect::<Option<Vec<_>>>()?;
    let distinct = keys
        .iter()
        .enumerate()
        .all(|(i, key)| keys[..i].iter().all(|other| other.name() != key.name()));
    distinct.then_some(keys)
}

/// `value` trimmed, if it can name the log's key in a signed note (the origin is the key
/// name): non-empty, bounded, no spaces or '+'.
fn log_origin(value: &str) -> Option<String> {
    let value = value.trim();
    kiosk_core::tlog::note::is_valid_key_name(value).then(|| value.to_owned())
}

/// `value` trimmed, if it looks like an email address: one `@` between a local part and a
/// domain with a dot, at most 254 characters, no spaces, quotes or angle brackets.
fn contact_email(value: &str) -> Option<String> {
    let value = value.trim();
    let (local, domain) = value.split_once('@')?;
    let plain = value
        .chars()
        .all(|c| c == '@' || !(c.is_whitespace() || c.is_control() || "\"<>'(),;:".contains(c)));
    let shaped = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.');
    (plain && shaped && value.chars().count() <= 254).then(|| value.to_owned())
}

/// Accepts what people write for a yes/no environment variable.
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The parser's message with the line it refers to, without quoting the file.
fn syntax_reason(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim();
    match error.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn address(text: &str) -> SocketAddr {
        text.parse().expect("address")
    }

    fn file(text: &str) -> Settings {
        Settings::from_toml(text, Path::new("/etc/kiosk/relay.toml")).expect("parses")
    }

    fn file_error(text: &str) -> String {
        match Settings::from_toml(text, Path::new("/etc/kiosk/relay.toml")) {
            Ok(settings) => panic!("expected an error, got {settings:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn nothing_given_means_the_defaults_plain_http_on_loopback() {
        let config = ServeConfig::from_settings(
            gather(Settings::default(), None, env(&[])).expect("gathers"),
        )
        .expect("resolves");
        assert_eq!(
            config,
            ServeConfig {
                listen: DEFAULT_LISTEN,
                data_dir: PathBuf::from("kiosk-data"),
                database_url: None,
                scheme: Scheme::PlainHttp,
                log: DEFAULT_LOG.to_owned(),
                accessibility_contact: None,
                log_origin: None,
                witness_keys: Vec::new(),
                limits: DEFAULT_LIMITS,
                backup: None,
                log_format: crate::log_format::LogFormat::Text,
                trusted_proxies: crate::client_address::TrustedProxies::default(),
            }
        );
    }

    #[test]
    fn log_format_and_trusted_proxies_come_from_flags_environment_or_file() {
        use crate::client_address::TrustedProxies;
        use crate::log_format::LogFormat;
        let from_file = file(
            r#"
            log_format = "json"
            trusted_proxies = ["10.0.0.0/8", "2001:db8::/32"]
            "#,
        );
        assert_eq!(from_file.log_format, Some(LogFormat::Json));
        assert_eq!(
            from_file.trusted_proxies,
            Some(TrustedProxies::parse_list("10.0.0.0/8,2001:db8::/32").expect("list"))
        );
        let environment = Settings::from_env(env(&[
            (ENV_LOG_FORMAT, "text"),
            (ENV_TRUSTED_PROXIES, "192.0.2.1, 198.51.100.0/24"),
        ]))
        .expect("reads");
        let merged = environment.clone().over(from_file.clone());
        assert_eq!(
            merged.log_format,
            Some(LogFormat::Text),
            "environment over file"
        );
        assert_eq!(merged.trusted_proxies, environment.trusted_proxies);
        let flags = Settings {
            log_format: Some(LogFormat::Json),
            ..Settings::default()
        };
        let config = ServeConfig::from_settings(flags.over(merged)).expect("resolves");
        assert_eq!(config.log_format, LogFormat::Json, "flag over environment");
        assert!(
            config
                .trusted_proxies
                .trusts("198.51.100.7".parse().expect("ip"))
        );
        assert!(
            !config
                .trusted_proxies
                .trusts("10.1.1.1".parse().expect("ip"))
        );
    }

    #[test]
    fn a_bad_log_format_or_proxy_range_is_refused_naming_the_setting() {
        let text = file_error(r#"log_format = "yaml""#);
        assert!(text.contains("`log_format` must be text or json"), "{text}");
        let text = file_error(r#"trusted_proxies = ["10.0.0.0/33"]"#);
        assert!(
            text.contains("`trusted_proxies` must be address ranges"),
            "{text}"
        );
        let text = file_error(r#"trusted_proxies = "10.0.0.0/8""#);
        assert!(
            text.contains("`trusted_proxies`"),
            "a list is wanted: {text}"
        );
        let error = Settings::from_env(env(&[(ENV_TRUSTED_PROXIES, "10.0.0.0/8,nonsense")]))
            .expect_err("refused")
            .to_string();
        assert!(error.contains(ENV_TRUSTED_PROXIES), "{error}");
        let error = Settings::from_env(env(&[(ENV_LOG_FORMAT, "xml")]))
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("KIOSK_LOG_FORMAT must be text or json"),
            "{error}"
        );
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
        let flags = Settings {
            listen: Some(address("127.0.0.1:1001")),
            ..Settings::default()
        };
        let environment = Settings::from_env(env(&[
            (ENV_LISTEN, "127.0.0.1:1002"),
            (ENV_DATA_DIR, "/env/data"),
        ]))
        .expect("reads");
        let from_file = file(
            r#"
            listen = "127.0.0.1:1003"
            data_dir = "/file/data"
            log = "debug"
            "#,
        );
        let config =
            ServeConfig::from_settings(flags.over(environment).over(from_file)).expect("resolves");
        assert_eq!(config.listen, address("127.0.0.1:1001"), "flag");
        assert_eq!(config.data_dir, PathBuf::from("/env/data"), "environment");
        assert_eq!(config.log, "debug", "file");
        assert_eq!(config.scheme, Scheme::PlainHttp, "default");
    }

    #[test]
    fn gather_reads_the_file_named_by_the_flag_before_the_one_in_the_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let by_flag = dir.path().join("flag.toml");
        let by_env = dir.path().join("env.toml");
        std::fs::write(&by_flag, "listen = \"127.0.0.1:2001\"\n").expect("write");
        std::fs::write(&by_env, "listen = \"127.0.0.1:2002\"\n").expect("write");
        let by_env_text = by_env.display().to_string();
        let variables = [(ENV_CONFIG, by_env_text.as_str())];

        let settings =
            gather(Settings::default(), Some(&by_flag), env(&variables)).expect("gathers");
        assert_eq!(settings.listen, Some(address("127.0.0.1:2001")));
        let settings = gather(Settings::default(), None, env(&variables)).expect("gathers");
        assert_eq!(settings.listen, Some(address("127.0.0.1:2002")));
        let with_env_listen = [
            (ENV_CONFIG, by_env_text.as_str()),
            (ENV_LISTEN, "127.0.0.1:2003"),
        ];
        let settings = gather(Settings::default(), None, env(&with_env_listen)).expect("gathers");
        assert_eq!(
            settings.listen,
            Some(address("127.0.0.1:2003")),
            "the environment beats the file"
        );
    }

    #[test]
    fn a_missing_config_file_is_named() {
        let missing = Path::new("/nonexistent/kiosk/relay.toml");
        let error = gather(Settings::default(), Some(missing), env(&[])).expect_err("refused");
        let text = error.to_string();
        assert!(text.contains("cannot read the config file"), "{text}");
        assert!(text.contains("/nonexistent/kiosk/relay.toml"), "{text}");
    }

    #[test]
    fn every_key_is_read_and_relative_paths_are_taken_from_the_files_directory() {
        let settings = file(
            r#"
            listen = "0.0.0.0:8443"
            data_dir = "data"
            tls_cert = "tls/relay.crt"
            tls_key = "/secure/relay.key"
            dev_plain_http = false
            log = "info,tower_http=debug"
            "#,
        );
        assert_eq!(
            settings,
            Settings {
                listen: Some(address("0.0.0.0:8443")),
                data_dir: Some(PathBuf::from("/etc/kiosk/data")),
                tls_cert: Some(PathBuf::from("/etc/kiosk/tls/relay.crt")),
                tls_key: Some(PathBuf::from("/secure/relay.key")),
                dev_plain_http: Some(false),
                log: Some("info,tower_http=debug".to_owned()),
                access_log_retention_months: None,
                accessibility_contact: None,
                ..Settings::default()
            }
        );
    }

    #[test]
    fn the_example_config_file_is_valid_and_asks_for_https() {
        let example = include_str!("../relay.example.toml");
        let settings = Settings::from_toml(example, Path::new("relay.example.toml"))
            .expect("the example parses");
        let config = ServeConfig::from_settings(settings).expect("resolves");
        assert!(
            matches!(config.scheme, Scheme::Https { .. }),
            "{:?}",
            config.scheme
        );
    }

    #[test]
    fn the_access_log_retention_comes_from_the_file_or_environment_else_60_months() {
        assert_eq!(
            Settings::default().access_log_retention_months_or_default(),
            60
        );
        let from_file = file("access_log_retention_months = 36");
        assert_eq!(from_file.access_log_retention_months, Some(36));
        let environment =
            Settings::from_env(env(&[(ENV_ACCESS_LOG_RETENTION_MONTHS, "120")])).expect("reads");
        assert_eq!(
            environment
                .over(from_file)
                .access_log_retention_months_or_default(),
            120
        );
        for bad in [
            "access_log_retention_months = 0",
            "access_log_retention_months = \"60\"",
        ] {
            assert!(
                file_error(bad).contains("`access_log_retention_months` must be a whole number"),
                "{bad}"
            );
        }
        assert!(Settings::from_env(env(&[(ENV_ACCESS_LOG_RETENTION_MONTHS, "-1")])).is_err());
    }

    #[test]
    fn connection_limits_come_from_flags_environment_or_file_else_the_defaults() {
        assert_eq!(Settings::default().connection_limits(), DEFAULT_LIMITS);
        let from_file = file(
            "header_read_timeout_secs = 5\nbody_read_timeout_secs = 300\n\
             idle_timeout_secs = 30\ntls_handshake_timeout_secs = 4\nmax_connections = 100\n\
             max_connections_per_client = 8",
        );
        let environment = Settings::from_env(env(&[
            (ENV_MAX_CONNECTIONS, "50"),
            (ENV_IDLE_TIMEOUT_SECS, "20"),
        ]))
        .expect("reads");
        let flags = Settings {
            header_read_timeout_secs: Some(3),
            ..Settings::default()
        };
        let limits = flags.over(environment).over(from_file).connection_limits();
        assert_eq!(
            limits,
            ConnectionLimits {
                header_read_timeout: Duration::from_secs(3),
                body_read_timeout: Duration::from_secs(300),
                idle_timeout: Duration::from_secs(20),
                tls_handshake_timeout: Duration::from_secs(4),
                max_connections: 50,
                max_connections_per_client: 8,
            }
        );
        for (bad, key) in [
            ("header_read_timeout_secs = 0", "header_read_timeout_secs"),
            ("idle_timeout_secs = 3601", "idle_timeout_secs"),
            ("body_read_timeout_secs = \"60\"", "body_read_timeout_secs"),
            (
                "tls_handshake_timeout_secs = -1",
                "tls_handshake_timeout_secs",
            ),
        ] {
            assert!(
                file_error(bad).contains(&format!("`{key}` must be a whole number of seconds")),
                "{bad}"
            );
        }
        assert!(file_error("max_connections = 0").contains("`max_connections` must be"));
        let error =
            Settings::from_env(env(&[(ENV_BODY_READ_TIMEOUT_SECS, "soon")])).expect_err("refused");
        assert!(
            error.to_string().contains(ENV_BODY_READ_TIMEOUT_SECS),
            "{error}"
        );
    }

    #[test]
    fn the_accessibility_contact_is_an_email_address_from_the_file_or_environment() {
        let from_file = file("accessibility_contact = \" tillganglighet@myndighet.se \"");
        assert_eq!(
            from_file.accessibility_contact.as_deref(),
            Some("tillganglighet@myndighet.se")
        );
        let environment =
            Settings::from_env(env(&[(ENV_ACCESSIBILITY_CONTACT, "a11y@agency.example")]))
                .expect("reads");
        assert_eq!(
            environment.over(from_file).accessibility_contact.as_deref(),
            Some("a11y@agency.example")
        );
        for bad in [
            "accessibility_contact = \"nobody\"",
            "accessibility_contact = \"a b@myndighet.se\"",
            "accessibility_contact = \"a@localhost\"",
            "accessibility_contact = 1",
        ] {
            assert!(
                file_error(bad).contains("`accessibility_contact` must be an email address"),
                "{bad}"
            );
        }
        assert!(Settings::from_env(env(&[(ENV_ACCESSIBILITY_CONTACT, "<a@b.se>")])).is_err());
    }

    #[test]
    fn the_log_origin_is_a_key_name_from_the_file_or_environment() {
        let from_file = file("log_origin = \" relay.myndighet.se/kiosk-log \"");
        assert_eq!(
            from_file.log_origin.as_deref(),
            Some("relay.myndighet.se/kiosk-log")
        );
        let environment =
            Settings::from_env(env(&[(ENV_LOG_ORIGIN, "other.se/log")])).expect("valid");
        assert_eq!(
            environment.over(from_file).log_origin.as_deref(),
            Some("other.se/log")
        );
        for bad in [
            "log_origin = \"two words\"",
            "log_origin = \"a+b\"",
            "log_origin = 1",
        ] {
            assert!(file_error(bad).contains("`log_origin` must be"), "{bad}");
        }
        assert!(Settings::from_env(env(&[(ENV_LOG_ORIGIN, "a b")])).is_err());
    }

    #[test]
    fn witness_keys_are_cosignature_vkeys_from_the_file_or_environment() {
        let key = |seed: u8, name: &str| {
            kiosk_core::tlog::cosignature::CosignatureSigner::new(
                name,
                &ed25519_dalek::SigningKey::from_bytes(&[seed; 32]),
            )
            .expect("name")
            .verifier()
        };
        let (archive, dpo) = (key(1, "arkiv.se/w"), key(2, "dso.se/w"));
        let from_file = file(&format!("witness_keys = [\"{archive}\", \" {dpo} \"]"));
        assert_eq!(
            from_file.witness_keys,
            Some(vec![archive.clone(), dpo.clone()])
        );
        let environment =
            Settings::from_env(env(&[(ENV_WITNESS_KEYS, &format!("{dpo}"))])).expect("valid");
        assert_eq!(
            environment.over(from_file).witness_keys,
            Some(vec![dpo.clone()])
        );
        // A log key (signature type 1) is not a witness key; names are not repeated.
        let log_vkey = kiosk_core::tlog::note::NoteSigner::new(
            "log",
            &ed25519_dalek::SigningKey::from_bytes(&[3; 32]),
        )
        .expect("name")
        .verifier();
        for bad in [
            format!("witness_keys = [\"{log_vkey}\"]"),
            format!(
                "witness_keys = [\"{archive}\", \"{}\"]",
                key(4, "arkiv.se/w")
            ),
            format!("witness_keys = \"{archive}\""),
        ] {
            assert!(file_error(&bad).contains("`witness_keys` must be"), "{bad}");
        }
        assert!(Settings::from_env(env(&[(ENV_WITNESS_KEYS, "x+1+2")])).is_err());
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error_naming_it() {
        let text = file_error("listen = \"127.0.0.1:8700\"\nlisten_address = \"0.0.0.0:1\"\n");
        assert_eq!(
            text,
            "the config file /etc/kiosk/relay.toml has an unknown key `listen_address` \
             (known keys: listen, data_dir, database_url, tls_cert, tls_key, dev_plain_http, log, \
             access_log_retention_months, accessibility_contact, log_origin, witness_keys, \
             header_read_timeout_secs, body_read_timeout_secs, idle_timeout_secs, tls_handshake_timeout_secs, \
             max_connections, max_connections_per_client, log_format, trusted_proxies, \
             backup_dir, backup_every, backup_keep, backup_offsite_only)"
        );
        let text = file_error("[tls]\ncert = \"relay.crt\"\n");
        assert!(text.contains("unknown key `tls`"), "{text}");
    }

    #[test]
    fn a_bad_value_in_the_file_names_the_key_and_what_is_expected() {
        assert_eq!(
            file_error("listen = \"8700\""),
            "in the config file /etc/kiosk/relay.toml, `listen` must be an IP address and \
             port, like \"0.0.0.0:8443\""
        );
        assert_eq!(
            file_error("dev_plain_http = \"yes\""),
            "in the config file /etc/kiosk/relay.toml, `dev_plain_http` must be true or false"
        );
        assert!(file_error("tls_cert = 5").contains("`tls_cert` must be a file path"));
        assert!(file_error("log = \"info,kiosk=loud\"").contains("`log` must be a log filter"));
    }

    #[test]
    fn a_database_url_comes_from_the_file_or_the_environment_and_only_as_postgres() {
        let url = "postgres://kiosk:s3cret@db.example:5432/kiosk";
        let from_file = file(&format!("database_url = \"{url}\""));
        assert_eq!(
            from_file.database_url.as_ref().map(DatabaseUrl::as_str),
            Some(url)
        );
        let from_env = Settings::from_env(env(&[(ENV_DATABASE_URL, url)])).expect("reads");
        assert_eq!(from_env.database_url, from_file.database_url);
        // The password never shows in a debug print of the settings.
        assert!(!format!("{from_env:?}").contains("s3cret"));
        assert!(
            file_error("database_url = \"/var/lib/kiosk/relay.sqlite3\"")
                .contains("`database_url` must be a PostgreSQL URL")
        );
        let refused =
            Settings::from_env(env(&[(ENV_DATABASE_URL, "mysql://x@y/z")])).expect_err("refused");
        assert!(refused.to_string().contains(ENV_DATABASE_URL), "{refused}");
        assert_eq!(
            Settings::default().database_url,
            None,
            "SQLite stays the default"
        );
    }

    #[test]
    fn a_syntax_error_gives_the_line_without_quoting_the_file() {
        let text = file_error("listen = \"127.0.0.1:8700\"\ndata_dir = secret-looking-value\n");
        assert!(text.contains("is not valid TOML: line 2"), "{text}");
        assert!(!text.contains("secret-looking-value"), "{text}");
    }

    #[test]
    fn a_bad_environment_variable_is_named() {
        let error = Settings::from_env(env(&[(ENV_LISTEN, "everywhere")])).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "the environment variable KIOSK_LISTEN must be an IP address and port, like \
             \"0.0.0.0:8443\""
        );
        let error =
            Settings::from_env(env(&[(ENV_DEV_PLAIN_HTTP, "perhaps")])).expect_err("refused");
        assert!(
            error
                .to_string()
                .contains("KIOSK_DEV_PLAIN_HTTP must be true or false"),
            "{error}"
        );
    }

    #[test]
    fn environment_booleans_and_log_fallback() {
        for (value, expected) in [("1", true), ("true", true), ("no", false), ("OFF", false)] {
            let settings = Settings::from_env(env(&[(ENV_DEV_PLAIN_HTTP, value)])).expect("reads");
            assert_eq!(settings.dev_plain_http, Some(expected), "{value}");
        }
        let settings = Settings::from_env(env(&[(ENV_DEV_PLAIN_HTTP, "")])).expect("reads");
        assert_eq!(settings.dev_plain_http, None, "empty is unset");
        let settings = Settings::from_env(env(&[(ENV_RUST_LOG, "warn")])).expect("reads");
        assert_eq!(settings.log.as_deref(), Some("warn"));
        let settings =
            Settings::from_env(env(&[(ENV_RUST_LOG, "warn"), (ENV_LOG, "debug")])).expect("reads");
        assert_eq!(settings.log.as_deref(), Some("debug"), "KIOSK_LOG first");
    }

    #[test]
    fn plain_http_is_served_on_loopback_and_refused_elsewhere_without_the_dev_flag() {
        for loopback in ["127.0.0.1:8700", "127.5.6.7:80", "[::1]:8700"] {
            assert_eq!(
                scheme_for(address(loopback), None, None, false).expect("allowed"),
                Scheme::PlainHttp,
                "{loopback}"
            );
        }
        for public in ["0.0.0.0:8700", "192.168.1.20:8700", "[::]:8700"] {
            let error = scheme_for(address(public), None, None, false).expect_err("refused");
            assert!(
                matches!(error, ConfigError::PlainHttpRefused { .. }),
                "{public}"
            );
            let text = error.to_string();
            assert!(text.contains("not a loopback address"), "{text}");
            assert!(
                text.contains("--tls-cert") && text.contains("--dev-plain-http"),
                "{text}"
            );
            assert_eq!(
                scheme_for(address(public), None, None, true).expect("development opt-in"),
                Scheme::PlainHttp
            );
        }
    }

    #[test]
    fn a_certificate_and_key_mean_https_anywhere_and_one_without_the_other_is_refused() {
        let cert = Some(PathBuf::from("relay.crt"));
        let key = Some(PathBuf::from("relay.key"));
        for listen in ["0.0.0.0:8443", "127.0.0.1:8443"] {
            assert_eq!(
                scheme_for(address(listen), cert.clone(), key.clone(), false).expect("https"),
                Scheme::Https {
                    certificate: PathBuf::from("relay.crt"),
                    key: PathBuf::from("relay.key"),
                }
            );
        }
        assert!(matches!(
            scheme_for(address("0.0.0.0:8443"), cert, None, true),
            Err(ConfigError::MissingTlsKey)
        ));
        assert!(matches!(
            scheme_for(address("127.0.0.1:8443"), None, key, false),
            Err(ConfigError::MissingTlsCert)
        ));
    }

    #[test]
    fn tls_settings_may_come_from_different_sources() {
        let flags = Settings {
            tls_key: Some(PathBuf::from("/run/secrets/relay.key")),
            ..Settings::default()
        };
        let settings = flags.over(file(
            "listen = \"0.0.0.0:8443\"\ntls_cert = \"relay.crt\"\ntls_key = \"old.key\"\n",
        ));
        let config = ServeConfig::from_settings(settings).expect("resolves");
        assert_eq!(
            config.scheme,
            Scheme::Https {
                certificate: PathBuf::from("/etc/kiosk/relay.crt"),
                key: PathBuf::from("/run/secrets/relay.key"),
            }
        );
    }
}
