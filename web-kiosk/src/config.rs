//! How the shell is run: where it listens (loopback unless told otherwise), where its data
//! lives, which relay it syncs with and how often. The relay's address is kept in the data
//! directory once known, so a restart needs no flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The shell's settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Listening beyond loopback was asked for explicitly.
    pub allow_non_loopback: bool,
    /// The host (and port) browsers use when a TLS front serves the kiosk beyond loopback,
    /// as they send it in `Host`; requests for any other host are refused.
    pub public_host: Option<String>,
    pub data_dir: PathBuf,
    pub relay_url: Option<String>,
    /// PEM certificates the relay's certificate chains to (a private CA), instead of the
    /// public roots.
    pub relay_roots_pem: Option<Vec<u8>>,
    /// Background sync runs at most this often.
    pub sync_every: Duration,
    /// Staff mode locks itself after this long without a request.
    pub staff_idle: Duration,
    /// A delay between a capture and its answer, for the crash test only (never set in use).
    pub pause_after_capture: Option<Duration>,
}

/// Why the shell cannot start with these settings.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "{0} is not a loopback address: a kiosk's screens hold visitors' personal data and are \
         served to the browser on the same machine only; pass --allow-non-loopback to serve \
         them on a network anyway"
    )]
    NotLoopback(SocketAddr),
    #[error("the relay address {0:?} is not an http:// or https:// URL")]
    RelayUrl(String),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Config {
    /// Defaults for `data_dir`: loopback port 8710, sync at most every 30 s.
    pub fn new(data_dir: PathBuf) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8710)),
            allow_non_loopback: false,
            public_host: None,
            data_dir,
            relay_url: None,
            relay_roots_pem: None,
            sync_every: Duration::from_secs(30),
            staff_idle: Duration::from_secs(120),
            pause_after_capture: None,
        }
    }

    /// Refuses a non-loopback address unless it was asked for; a URL that is not http(s).
    pub fn check(&self) -> Result<(), ConfigError> {
        if !self.listen.ip().is_loopback() && !self.allow_non_loopback {
            return Err(ConfigError::NotLoopback(self.listen));
        }
        if let Some(url) = &self.relay_url {
            check_relay_url(url)?;
        }
        Ok(())
    }

    /// The device store's file.
    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("kiosk.sqlite3")
    }

    /// Where the store's data key is kept (owner-only files).
    pub fn secrets_dir(&self) -> PathBuf {
        self.data_dir.join("kiosk.sqlite3.secrets")
    }

    /// The file that remembers the relay's address.
    pub fn relay_url_path(&self) -> PathBuf {
        self.data_dir.join("relay-url")
    }
}

/// An http(s) URL without whitespace, or why not.
pub fn check_relay_url(url: &str) -> Result<(), ConfigError> {
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    if !scheme_ok || url.chars().any(char::is_whitespace) || url.len() > 2_048 {
        return Err(ConfigError::RelayUrl(url.chars().take(80).collect()));
    }
    Ok(())
}

/// Creates the data directory, readable by its owner only. An existing directory keeps its
/// mode (the operator chose it; `--data-dir .` must not change the working directory's), but
/// a warning says if others can read it.
pub fn create_data_dir(path: &Path) -> Result<(), ConfigError> {
    let failed = |source| ConfigError::DataDir {
        path: path.to_path_buf(),
        source,
    };
    if !path.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(path).map_err(failed)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(failed)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "the kiosk's data directory is open to other users of this machine; make it 0700"
            );
        }
    }
    Ok(())
}

/// The relay address saved in the data directory, if any.
pub fn saved_relay_url(config: &Config) -> Option<String> {
    let text = std::fs::read_to_string(config.relay_url_path()).ok()?;
    let url = text.trim().to_owned();
    check_relay_url(&url).ok().map(|()| url)
}

/// Saves the relay's address for the next start.
pub fn save_relay_url(config: &Config, url: &str) -> std::io::Result<()> {
    let path = config.relay_url_path();
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, format!("{url}\n"))?;
    std::fs::rename(&temporary, &path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_loopback_address_is_refused_unless_asked_for() {
        let mut config = Config::new("data".into());
        config.listen = SocketAddr::from(([0, 0, 0, 0], 8710));
        let refused = config.check().expect_err("not loopback");
        assert!(refused.to_string().contains("--allow-non-loopback"));
        config.allow_non_loopback = true;
        config.check().expect("asked for explicitly");
        config.listen = SocketAddr::from(([127, 0, 0, 1], 8710));
        config.allow_non_loopback = false;
        config.check().expect("loopback");
        config.listen = "[::1]:8710".parse().expect("an address");
        config.check().expect("IPv6 loopback");
    }

    #[test]
    fn a_relay_address_must_be_http_or_https() {
        check_relay_url("https://relay.example.se").expect("https");
        check_relay_url("http://127.0.0.1:8700").expect("http");
        for bad in ["ftp://x", "relay.example.se", "http://a b", ""] {
            assert!(check_relay_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_relay_address_is_kept_for_the_next_start() {
        let directory = tempfile::tempdir().expect("a directory");
        let config = Config::new(directory.path().to_path_buf());
        assert_eq!(saved_relay_url(&config), None);
        save_relay_url(&config, "http://127.0.0.1:8700").expect("saved");
        assert_eq!(
            saved_relay_url(&config).as_deref(),
            Some("http://127.0.0.1:8700")
        );
    }
}
