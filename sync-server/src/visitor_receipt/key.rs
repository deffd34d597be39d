//! The relay's receipt key: 32 random bytes in `relay-receipt.key` (0600, made on first
//! start, never in the database or its backups, carried by the key export), under which the
//! relay keeps a visitor's receipt only as `tag = HMAC-SHA-256(receipt key, receipt hash)`.
//! The receipt hash is `SHA-256("kiosk-receipt-v1" ‖ secret)`, which only the sealed capture
//! carries, and the secret only the visitor holds. So the database alone (a copy, a backup)
//! holds tags nobody can turn into a working receipt, and a lost tablet holds neither.

use std::path::Path;

use crate::storage::RelayStore;

/// The receipt key's file in the data directory.
pub const RECEIPT_KEY_FILE: &str = "relay-receipt.key";

/// The receipt key. Not `Debug`-printable as its bytes.
#[derive(Clone)]
pub struct ReceiptKey([u8; 32]);

impl std::fmt::Debug for ReceiptKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReceiptKey(…)")
    }
}

impl Drop for ReceiptKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl ReceiptKey {
    pub fn from_bytes(key: [u8; 32]) -> ReceiptKey {
        ReceiptKey(key)
    }

    /// Loads the key from `data_dir`, making the file (0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<ReceiptKey> {
        crate::private_files::create_dir(data_dir)?;
        Ok(ReceiptKey(crate::keys::read_or_make_secret(
            &data_dir.join(RECEIPT_KEY_FILE),
        )?))
    }

    /// The tag the relay keeps of a receipt whose hash is `receipt_hash`.
    pub fn tag(&self, receipt_hash: &[u8; 32]) -> [u8; 32] {
        crate::keyed_hash::hmac_sha256(&self.0, &[receipt_hash])
    }

    /// A keyed hash of the key naming nothing, which the store records: another key is
    /// noticed at start instead of every receipt answering "on its way".
    pub fn fingerprint(&self) -> [u8; 32] {
        crate::keyed_hash::hmac_sha256(&self.0, &[b"kiosk-receipt-key-v1/fingerprint"])
    }

    /// The first 8 hex digits of a keyed hash of `tag`: what a log line may name of a
    /// lookup (never the code, the hash or the tag itself).
    pub fn log_name(&self, tag: &[u8; 32]) -> String {
        let named = crate::keyed_hash::hmac_sha256(&self.0, &[b"kiosk-receipt-log-v1", tag]);
        hex::encode(&named[..4])
    }
}

/// Checks `key` against the key the store's tags were made under (recorded on first use).
/// A store `shared` by several relay instances (PostgreSQL) refuses an instance with
/// another key, saying which file to copy. A relay of its own (SQLite) started with another
/// key (a restore without the key export) records the new one, with a warning: receipts
/// handed out before then answer "on its way" until HR finds the record by its short code.
pub fn check_for_store(
    data_dir: &Path,
    key: &ReceiptKey,
    store: &dyn RelayStore,
    shared: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    if store.bind_receipt_key(&key.fingerprint())? {
        return Ok(());
    }
    if shared {
        return Err(format!(
            "{RECEIPT_KEY_FILE} in {} is not the receipt key this database's receipt tags were \
             made under: copy {RECEIPT_KEY_FILE} (mode 0600) from a relay instance that serves \
             this database, or import it from the key export, then start again. / \
             {RECEIPT_KEY_FILE} i {} är inte den kvittonyckel som databasens kvitton gjordes \
             med: kopiera filen från en annan instans eller importera den från nyckelexporten \
             och starta igen.",
            data_dir.display(),
            data_dir.display()
        )
        .into());
    }
    tracing::warn!(
        "{RECEIPT_KEY_FILE} is not the key this store's receipt tags were made under \
         (restored without the key export?): receipts handed out before no longer open their \
         page; import the exported keys to keep them"
    );
    store.rebind_receipt_key(&key.fingerprint())?;
    Ok(())
}
