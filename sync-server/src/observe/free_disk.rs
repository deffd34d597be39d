//! Free space of the file system holding a directory, as an unprivileged process may use it.

use std::path::Path;

/// Bytes available to the relay's user in the file system of `dir` (`statvfs`'s
/// `f_bavail` blocks of `f_frsize` bytes: what is left after the root reserve).
pub fn available_bytes(dir: &Path) -> std::io::Result<u64> {
    let stat = rustix::fs::statvfs(dir)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_real_directory_has_some_free_space_and_a_missing_one_is_an_error() {
        let dir = tempfile::tempdir().expect("dir");
        assert!(super::available_bytes(dir.path()).expect("statvfs") > 0);
        assert!(super::available_bytes(&dir.path().join("missing")).is_err());
    }
}
