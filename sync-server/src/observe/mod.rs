//! What an operator's monitoring sees of the relay: readiness (`/readyz`, [`readiness`]) and
//! metrics in the Prometheus text format ([`metrics`]), with what they read: the data
//! directory's free space ([`free_disk`]), the newest verified backup
//! ([`backup_status`]) and the access log's last chain verification ([`chain_status`]).
//! [`Observer`] holds them for the relay's handlers; its [`MonitorSettings`] come from
//! `serve`'s flags.

pub mod backup_status;
pub mod chain_status;
pub mod free_disk;
pub mod metrics;
pub mod readiness;

use std::path::PathBuf;
use std::time::Duration;

/// The default `--min-free-disk`: 1 GiB.
pub const DEFAULT_MIN_FREE_DISK: u64 = 1 << 30;
/// How long a readiness verdict and the store's metrics are reused: a probe storm costs
/// one check per this.
pub const DEFAULT_CACHE_FOR: Duration = Duration::from_secs(5);
/// How long readiness waits for its write probe before it says the store cannot be written.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What readiness checks and who may read the metrics.
#[derive(Debug, Clone)]
pub struct MonitorSettings {
    /// The data directory (free space, key files, backup status); `None` for a relay in
    /// memory, which has none of them to check.
    pub data_dir: Option<PathBuf>,
    /// Not ready under this many free bytes in the data directory's file system.
    pub min_free_disk: u64,
    /// Not ready when the newest verified backup is older than this (or there is none);
    /// `None`: backups are not checked.
    pub max_backup_age: Option<Duration>,
    /// The SHA-256 of the bearer token `/metrics` takes on the relay's own listener;
    /// `None`: the main listener does not serve `/metrics`.
    pub metrics_token: Option<[u8; 32]>,
    pub cache_for: Duration,
    pub probe_timeout: Duration,
}

impl Default for MonitorSettings {
    fn default() -> MonitorSettings {
        MonitorSettings {
            data_dir: None,
            min_free_disk: DEFAULT_MIN_FREE_DISK,
            max_backup_age: None,
            metrics_token: None,
            cache_for: DEFAULT_CACHE_FOR,
            probe_timeout: DEFAULT_PROBE_TIMEOUT,
        }
    }
}

/// Reads a metrics bearer token from `path`: its first line, trimmed, of 16 to 512
/// characters. Only its hash is kept.
pub fn read_metrics_token(path: &std::path::Path) -> Result<[u8; 32], String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the metrics token file {}: {e}", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim();
    if !(16..=512).contains(&token.len()) {
        return Err(format!(
            "the metrics token file {} must hold one token of 16 to 512 characters on its first line",
            path.display()
        ));
    }
    Ok(crate::hr::sessions::secret_hash(token))
}

/// Parses a size like `1GiB`, `500MiB`, `2G`, `1048576` (bytes) for `--min-free-disk`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("expected a size like 1GiB or 500MiB, not {text:?}"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("expected a size like 1GiB or 500MiB, not {text:?}")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// Parses a duration like `26h`, `90m`, `2d` or `3600s` for `--max-backup-age`: 1 minute to
/// 365 days.
pub fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let expected = || format!("expected an age like 26h, 90m or 2d (1m to 365d), not {text:?}");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| expected())?;
    let seconds = match unit {
        "s" => Some(number),
        "m" => number.checked_mul(60),
        "h" => number.checked_mul(3600),
        "d" => number.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(expected)?;
    if !(60..=365 * 86_400).contains(&seconds) {
        return Err(expected());
    }
    Ok(Duration::from_secs(seconds))
}

/// The relay's monitoring state, shared by its handlers and background tasks.
#[derive(Debug)]
pub struct Observer {
    pub settings: MonitorSettings,
    pub chain: chain_status::ChainStatus,
    pub metrics: metrics::Metrics,
    pub(crate) readiness: readiness::ReadinessCache,
}

impl Observer {
    pub fn new(settings: MonitorSettings) -> Observer {
        Observer {
            settings,
            chain: chain_status::ChainStatus::default(),
            metrics: metrics::Metrics::new(),
            readiness: readiness::ReadinessCache::default(),
        }
    }
}

impl Default for Observer {
    fn default() -> Observer {
        Observer::new(MonitorSettings::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages_read_as_operators_write_them_and_nonsense_is_named() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("500 MiB"), Ok(500 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").expect_err("refused").contains("1GiB"));
        assert!(parse_size("99999999999T").is_err());
        assert_eq!(parse_age("26h"), Ok(Duration::from_secs(26 * 3600)));
        assert_eq!(parse_age("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert!(
            parse_age("5s").is_err(),
            "under a minute checks nothing useful"
        );
        assert!(parse_age("1y").expect_err("refused").contains("26h"));
    }
}
