//! What the fuzz targets share.

/// libfuzzer-sys aborts at any panic, even one the code catches. The core catches panics of
/// the Automerge library on purpose (malformed bytes trigger some), so only a panic that
/// escapes the core is a crash here: it still unwinds into libfuzzer-sys, which aborts.
pub fn only_uncaught_panics_crash() {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
