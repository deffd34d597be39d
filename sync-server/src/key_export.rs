//! The relay's keys outside the data directory: `export-keys` writes the signing key, the
//! sealing seed and (when there is one) the blind indexes' key into one file encrypted under a passphrase (age's scrypt format,
//! ASCII-armored, readable by the `age`/`rage` tools too), and `import-keys` puts them back
//! into a data directory that has none. Without them a restored store is useless: every
//! enrolled tablet trusts only the keys it enrolled with. During a key rotation the export
//! carries the whole ring: the previous keys, the derivation root and the retired keys' public
//! halves too ([`crate::key_rotation`]), and an import puts every one of them back.
//!
//! Nothing is written until everything is checked: a wrong passphrase, a damaged or
//! foreign file, or other keys already in the data directory leave every file as it was.
//! Files are created 0600 under a temporary name and linked into place, so an existing
//! file is never overwritten and a half-written one never carries the final name. Error
//! texts name files and the remedy, never a key or the passphrase.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::blind_index::INDEX_KEY_FILE;
use crate::keys::{
    DERIVATION_ROOT_FILE, PREVIOUS_SEALING_SEED_FILE, PREVIOUS_SIGNING_KEY_FILE, RETIRED_KEYS_FILE,
    RelayKeys, SEALING_SEED_FILE, SIGNING_KEY_FILE,
};
use crate::visitor_receipt::key::RECEIPT_KEY_FILE;

/// scrypt's work factor (log2 N) of an export: 256 MiB and about a second, as `age` aims
/// for on a server, whatever build or machine exports.
pub const EXPORT_WORK_FACTOR: u8 = 18;
/// The most work an import accepts (1 GiB of memory): a file asking for more is refused
/// before any is spent.
pub const IMPORT_MAX_WORK_FACTOR: u8 = 20;
/// The shortest passphrase an export accepts, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// The most bytes read of a passphrase file or of an export (one is a few hundred bytes).
const MAX_PASSPHRASE_BYTES: u64 = 1024;
const MAX_EXPORT_BYTES: u64 = 64 * 1024;
/// What the decrypted export starts with, so another age file is not taken for one.
const FORMAT: &str = "kiosk-relay-keys";
/// Version 2 adds the rest of the key ring (key rotation); version 1 exports still import.
const VERSION: u32 = 2;

/// Why keys were not exported or imported. Each text is in English and Swedish.
#[derive(Debug, thiserror::Error)]
pub enum KeyExportError {
    #[error(
        "{} exists already; an export never overwrites a file: choose another name. / \
         {} finns redan; en export skriver aldrig över en fil: välj ett annat namn.",
        .0.display(), .0.display()
    )]
    TargetExists(PathBuf),
    #[error(
        "{} holds no relay keys ({SIGNING_KEY_FILE}, {SEALING_SEED_FILE}) to export. / \
         {} har inga relänycklar att exportera.",
        .0.display(), .0.display()
    )]
    NoKeys(PathBuf),
    #[error(
        "{} is not a 32-byte relay key; nothing was written. / {} är ingen relänyckel på \
         32 byte; inget skrevs.",
        .0.display(), .0.display()
    )]
    BadKeyFile(PathBuf),
    #[error(
        "the passphrase must be at least {MIN_PASSPHRASE_CHARS} characters. / lösenfrasen \
         måste ha minst {MIN_PASSPHRASE_CHARS} tecken."
    )]
    ShortPassphrase,
    #[error("the passphrase is empty. / lösenfrasen är tom.")]
    EmptyPassphrase,
    #[error("the two passphrases differ. / de två lösenfraserna skiljer sig åt.")]
    PassphrasesDiffer,
    #[error(
        "{} is longer than a passphrase may be ({MAX_PASSPHRASE_BYTES} bytes). / {} är \
         längre än en lösenfras får vara.",
        .0.display(), .0.display()
    )]
    PassphraseFileTooLong(PathBuf),
    #[error(
        "wrong passphrase for {}: nothing was written. / fel lösenfras för {}: inget skrevs.",
        .0.display(), .0.display()
    )]
    WrongPassphrase(PathBuf),
    #[error(
        "{} is not a relay key export, or it is damaged ({why}): nothing was written. / {} \
         är ingen export av relänycklar, eller så är den skadad: inget skrevs.",
        path.display(), path.display()
    )]
    NotAnExport { path: PathBuf, why: String },
    #[error(
        "{} asks for more passphrase work (2^{required}) than an import allows \
         (2^{IMPORT_MAX_WORK_FACTOR}): nothing was written. / {} kräver mer arbete än en \
         import tillåter: inget skrevs.",
        path.display(), path.display()
    )]
    ExcessiveWork { path: PathBuf, required: u8 },
    #[error(
        "{} holds other relay keys than {}: nothing was written. Import into an empty data \
         directory, or move its {SIGNING_KEY_FILE} and {SEALING_SEED_FILE} aside if they \
         are really not wanted (tablets enrolled with them will refuse the relay). / {} \
         har andra relänycklar än {}: inget skrevs.",
        data_dir.display(), from.display(), data_dir.display(), from.display()
    )]
    OtherKeys { data_dir: PathBuf, from: PathBuf },
    /// The data directory's blind-index key differs from the export's: typically one a
    /// relay made for itself when started before the import (the `serve` command makes it
    /// on first start). Said apart from [`KeyExportError::OtherKeys`], which is about the
    /// signing key and sealing seed, so the operator moves the right file.
    #[error(
        "{} is another blind-index key than the one in {}: nothing was written. A relay \
         started in this data directory before the import made it for itself. Move it \
         aside (for example to {INDEX_KEY_FILE}.unused) and run import-keys again: the \
         exported key is the one the restored database's duplicate and do-not-contact \
         indexes were written under. / {} är en annan indexnyckel än den i {}: inget \
         skrevs. Flytta undan filen (till exempel till {INDEX_KEY_FILE}.unused) och kör \
         import-keys igen.",
        path.display(), from.display(), path.display(), from.display()
    )]
    OtherIndexKey { path: PathBuf, from: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyExportError + '_ {
    move |source| KeyExportError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The public halves of exported or imported keys, which an operator may compare with
/// what tablets show (neither is secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIds {
    /// The signing key's public half, hex.
    pub signing_public: String,
    /// The sealing key's id, as enrollment QR codes carry it.
    pub sealing_key_id: String,
}

impl KeyIds {
    fn of(signing: &[u8; 32], sealing: &[u8; 32]) -> KeyIds {
        let keys = RelayKeys::from_seeds(*signing, *sealing);
        KeyIds {
            signing_public: hex::encode(keys.signing.verifying_key().to_bytes()),
            sealing_key_id: keys.sealing.sealing_key().key_id.clone(),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub ids: KeyIds,
    /// The key files written (the others were there already, the same).
    pub written: Vec<&'static str>,
}

/// What the export holds; its hex copies of the keys are wiped when it is dropped.
#[derive(serde::Serialize, serde::Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct Payload {
    format: String,
    version: u32,
    signing_key: String,
    sealing_seed: String,
    /// The other files of the key ring, by file name: hex of the secret ones, the text of
    /// the retired keys' list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ring: Vec<(String, String)>,
}

/// The files of the key ring besides the current keys, in the order an import checks them;
/// `true` for a 32-byte secret (hex in the export), `false` for the text of public halves.
const RING_FILES: [(&str, bool); 7] = [
    (PREVIOUS_SIGNING_KEY_FILE, true),
    (PREVIOUS_SEALING_SEED_FILE, true),
    (DERIVATION_ROOT_FILE, true),
    (RETIRED_KEYS_FILE, false),
    // The blind indexes' key: kept out of the database and its backups, so only here.
    (INDEX_KEY_FILE, true),
    // The transparency log's key: a restored relay must sign checkpoints tablets and
    // witnesses already trust.
    (crate::transparency::checkpoint::LOG_KEY_FILE, true),
    // The receipt key, likewise: without it no receipt handed out opens its page again.
    (RECEIPT_KEY_FILE, true),
];

/// The bounded text of the retired keys' list (a line of 82 characters per rotation).
const MAX_RETIRED_BYTES: u64 = 16 * 1024;

/// Writes the keys of `data_dir` to `to`, encrypted under `passphrase`. `to` must not exist.
pub fn export_keys(
    data_dir: &Path,
    to: &Path,
    passphrase: &SecretString,
) -> Result<KeyIds, KeyExportError> {
    export_keys_with_work(data_dir, to, passphrase, EXPORT_WORK_FACTOR)
}

fn export_keys_with_work(
    data_dir: &Path,
    to: &Path,
    passphrase: &SecretString,
    work_factor: u8,
) -> Result<KeyIds, KeyExportError> {
    if passphrase.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(KeyExportError::ShortPassphrase);
    }
    if to.exists() {
        return Err(KeyExportError::TargetExists(to.to_owned()));
    }
    let (signing, sealing) = match (
        read_key(&data_dir.join(SIGNING_KEY_FILE))?,
        read_key(&data_dir.join(SEALING_SEED_FILE))?,
    ) {
        (Some(signing), Some(sealing)) => (signing, sealing),
        _ => return Err(KeyExportError::NoKeys(data_dir.to_owned())),
    };
    let mut ring = Vec::new();
    for (name, secret) in RING_FILES {
        let path = data_dir.join(name);
        let text = if secret {
            read_key(&path)?.map(|key| hex::encode(*key))
        } else {
            read_text(&path)?
        };
        if let Some(text) = text {
            ring.push((name.to_owned(), text));
        }
    }
    let payload = Zeroizing::new(
        serde_json::to_vec(&Payload {
            format: FORMAT.to_owned(),
            version: VERSION,
            signing_key: hex::encode(*signing),
            sealing_seed: hex::encode(*sealing),
            ring,
        })
        .map_err(|e| io(to)(std::io::Error::other(e)))?,
    );
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(work_factor);
    let armored = age::encrypt_and_armor(&recipient, &payload)
        .map_err(|e| io(to)(std::io::Error::other(e)))?;
    write_new(to, armored.as_bytes())?;
    Ok(KeyIds::of(&signing, &sealing))
}

/// Puts the keys exported in `from` into `data_dir` (created 0700 if missing). Refuses,
/// writing nothing, when the data directory holds other keys; keys already there and the
/// same are left as they are.
pub fn import_keys(
    data_dir: &Path,
    from: &Path,
    passphrase: &SecretString,
) -> Result<Imported, KeyExportError> {
    let (signing, sealing, ring) = decrypt_export(from, passphrase)?;
    let ids = KeyIds::of(&signing, &sealing);
    let mut files: Vec<(&'static str, Zeroizing<Vec<u8>>)> = vec![
        (SIGNING_KEY_FILE, Zeroizing::new(signing.to_vec())),
        (SEALING_SEED_FILE, Zeroizing::new(sealing.to_vec())),
    ];
    files.extend(ring);
    // All checked before any is written.
    let mut missing = Vec::new();
    for (name, key) in &files {
        let present = match std::fs::read(data_dir.join(name)) {
            Ok(bytes) => Some(Zeroizing::new(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&data_dir.join(name))(e)),
        };
        match present {
            Some(present) if *present == **key => {}
            Some(_) if *name == INDEX_KEY_FILE => {
                return Err(KeyExportError::OtherIndexKey {
                    path: data_dir.join(name),
                    from: from.to_owned(),
                });
            }
            Some(_) => {
                return Err(KeyExportError::OtherKeys {
                    data_dir: data_dir.to_owned(),
                    from: from.to_owned(),
                });
            }
            None => missing.push((*name, key.clone())),
        }
    }
    crate::private_files::create_dir(data_dir).map_err(io(data_dir))?;
    let mut written = Vec::new();
    for (name, key) in missing {
        write_new(&data_dir.join(name), &key[..])?;
        written.push(name);
    }
    Ok(Imported { ids, written })
}

/// A 32-byte key, wiped when dropped.
type Secret32 = Zeroizing<[u8; 32]>;

/// The other files of an export's key ring, by name, with the bytes to write.
type RingFiles = Vec<(&'static str, Zeroizing<Vec<u8>>)>;

/// The keys in the export at `from`, checked: a wrong passphrase, another age file, a
/// damaged one or one asking for too much work are told apart.
fn decrypt_export(
    from: &Path,
    passphrase: &SecretString,
) -> Result<(Secret32, Secret32, RingFiles), KeyExportError> {
    let not_export = |why: &str| KeyExportError::NotAnExport {
        path: from.to_owned(),
        why: why.to_owned(),
    };
    let file = std::fs::File::open(from).map_err(io(from))?;
    let mut bytes = Vec::new();
    file.take(MAX_EXPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io(from))?;
    if bytes.len() as u64 > MAX_EXPORT_BYTES {
        return Err(not_export("far larger than an export"));
    }
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(&bytes[..]))
        .map_err(|e| not_export(&e.to_string()))?;
    if !decryptor.is_scrypt() {
        return Err(not_export("not encrypted under a passphrase"));
    }
    let mut identity = age::scrypt::Identity::new(passphrase.clone());
    identity.set_max_work_factor(IMPORT_MAX_WORK_FACTOR);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed
            | age::DecryptError::KeyDecryptionFailed
            | age::DecryptError::NoMatchingKeys => KeyExportError::WrongPassphrase(from.to_owned()),
            age::DecryptError::ExcessiveWork { required, .. } => KeyExportError::ExcessiveWork {
                path: from.to_owned(),
                required,
            },
            other => not_export(&other.to_string()),
        })?;
    let mut plain = Zeroizing::new(Vec::new());
    reader
        .by_ref()
        .take(MAX_EXPORT_BYTES)
        .read_to_end(&mut plain)
        .map_err(|e| not_export(&e.to_string()))?;
    let payload: Payload =
        serde_json::from_slice(&plain).map_err(|_| not_export("not a relay key export"))?;
    if payload.format != FORMAT || !(1..=VERSION).contains(&payload.version) {
        return Err(not_export(
            "not a relay key export of a version this relay reads",
        ));
    }
    let key = |text: &str| -> Result<Zeroizing<[u8; 32]>, KeyExportError> {
        let bytes = Zeroizing::new(hex::decode(text).map_err(|_| not_export("a key is not hex"))?);
        let key: [u8; 32] = bytes[..]
            .try_into()
            .map_err(|_| not_export("a key is not 32 bytes"))?;
        Ok(Zeroizing::new(key))
    };
    let mut ring = Vec::new();
    for (name, text) in &payload.ring {
        let Some((file, secret)) = RING_FILES.iter().find(|(file, _)| file == name) else {
            return Err(not_export("a key file this relay does not know"));
        };
        if ring.iter().any(|(seen, _)| seen == file) {
            return Err(not_export("a key file twice"));
        }
        let bytes = if *secret {
            Zeroizing::new(key(text)?.to_vec())
        } else {
            crate::key_rotation::parse_retired(text)
                .map_err(|_| not_export("a retired key is not hex"))?;
            Zeroizing::new(text.as_bytes().to_vec())
        };
        ring.push((*file, bytes));
    }
    Ok((
        key(&payload.signing_key)?,
        key(&payload.sealing_seed)?,
        ring,
    ))
}

/// The text at `path` (at most [`MAX_RETIRED_BYTES`]), or `None` if there is no file.
fn read_text(path: &Path) -> Result<Option<String>, KeyExportError> {
    match std::fs::File::open(path) {
        Ok(file) => {
            let mut text = String::new();
            file.take(MAX_RETIRED_BYTES)
                .read_to_string(&mut text)
                .map_err(io(path))?;
            Ok(Some(text))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

/// The 32-byte key at `path`, or `None` if there is no file.
fn read_key(path: &Path) -> Result<Option<Zeroizing<[u8; 32]>>, KeyExportError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            let key: [u8; 32] = bytes[..]
                .try_into()
                .map_err(|_| KeyExportError::BadKeyFile(path.to_owned()))?;
            Ok(Some(Zeroizing::new(key)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

/// Creates `path` with `bytes`, 0600, durably; never overwrites: written under a temporary
/// name and hard-linked to `path`, which fails if `path` exists.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), KeyExportError> {
    let partial = PathBuf::from(format!(
        "{}.partial-{:016x}",
        path.display(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut file = crate::private_files::new_file_options()
            .write(true)
            .create_new(true)
            .open(&partial)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        match std::fs::hard_link(&partial, path) {
            // FAT and exFAT (the usual removable stick) have no hard links: the final name
            // made new, which still never replaces a file, then written and synced.
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                let mut file = crate::private_files::new_file_options()
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .map_err(|e2| {
                        if e2.kind() == std::io::ErrorKind::AlreadyExists {
                            e2
                        } else {
                            e
                        }
                    })?;
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                if written.is_err() {
                    let _ = std::fs::remove_file(path);
                }
                written
            }
            linked => linked,
        }
    })();
    let _ = std::fs::remove_file(&partial);
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(KeyExportError::TargetExists(path.to_owned()));
        }
        Err(e) => return Err(io(path)(e)),
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(io(parent))?;
    }
    Ok(())
}

/// Where the passphrase comes from: a file (its first line), or else the terminal
/// (asked twice for an export) or, when standard input is not a terminal, its first line.
/// Never the command line, where other users and the shell's history would see it.
pub fn read_passphrase(file: Option<&Path>, confirm: bool) -> Result<SecretString, KeyExportError> {
    let line = match file {
        Some(path) => {
            let mut bytes = Zeroizing::new(Vec::new());
            std::fs::File::open(path)
                .and_then(|f| f.take(MAX_PASSPHRASE_BYTES + 1).read_to_end(&mut bytes))
                .map_err(io(path))?;
            if bytes.len() as u64 > MAX_PASSPHRASE_BYTES {
                return Err(KeyExportError::PassphraseFileTooLong(path.to_owned()));
            }
            Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned())
        }
        None if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            let first = Zeroizing::new(
                rpassword::prompt_password("Passphrase / Lösenfras: ")
                    .map_err(io(Path::new("terminal")))?,
            );
            if confirm {
                let again = Zeroizing::new(
                    rpassword::prompt_password("Again / Igen: ")
                        .map_err(io(Path::new("terminal")))?,
                );
                if *again != *first {
                    return Err(KeyExportError::PassphrasesDiffer);
                }
            }
            first
        }
        None => {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .take(MAX_PASSPHRASE_BYTES)
                .read_line(&mut line)
                .map_err(io(Path::new("standard input")))?;
            line
        }
    };
    let first_line = line.lines().next().unwrap_or("");
    if first_line.is_empty() {
        return Err(KeyExportError::EmptyPassphrase);
    }
    Ok(SecretString::from(first_line.to_owned()))
}

#[cfg(test)]
mod tests;
