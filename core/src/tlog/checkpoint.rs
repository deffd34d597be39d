//! C2SP tlog-checkpoint (<https://c2sp.org/tlog-checkpoint>, v1.0.0): the text of a signed
//! tree head. This module owns the three lines (origin, tree size, base64 root) and the
//! optional extension lines; signing and opening the note around them is [`super::note`]'s.
//!
//! Parsing is strict, so a checkpoint has exactly one spelling and [`Checkpoint::to_body`]
//! of a parsed checkpoint gives back the very bytes that were signed.

use base64ct::{Base64, Encoding};

use super::hash::Hash;

/// The longest checkpoint body accepted (ours are about 100 bytes).
pub const MAX_CHECKPOINT_LEN: usize = 4 * 1024;
/// The most extension lines accepted (the spec discourages them; we write none).
pub const MAX_EXTENSIONS: usize = 16;

/// A log's tree head: which log, how many leaves, and their Merkle root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `relay.example.se/kiosk-log`.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Opaque extra lines, not auditable by monitors; empty in our log.
    pub extensions: Vec<String>,
}

/// Why a checkpoint body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the checkpoint is {len} bytes, more than the {MAX_CHECKPOINT_LEN} accepted")]
    TooLarge { len: usize },
    #[error("the checkpoint holds a control character other than newline")]
    ControlCharacter,
    #[error("the checkpoint does not end in a newline")]
    NoFinalNewline,
    #[error("a checkpoint has at least three lines: origin, tree size and root hash")]
    TooFewLines,
    #[error("line {line} of the checkpoint is empty")]
    EmptyLine { line: usize },
    #[error("the tree size is not a decimal number without leading zeros that fits 64 bits")]
    BadSize,
    #[error("the root hash is not standard base64 of 32 bytes")]
    BadRoot,
    #[error("the checkpoint has more than {MAX_EXTENSIONS} extension lines")]
    TooManyExtensions,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n` and any extension lines.
    pub fn to_body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            Base64::encode_string(&self.root)
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Reads a checkpoint body (a signed note's text, final newline included).
    pub fn parse(body: &str) -> Result<Self, CheckpointError> {
        if body.len() > MAX_CHECKPOINT_LEN {
            return Err(CheckpointError::TooLarge { len: body.len() });
        }
        if body.bytes().any(|b| b < 0x20 && b != b'\n') {
            return Err(CheckpointError::ControlCharacter);
        }
        let Some(body) = body.strip_suffix('\n') else {
            return Err(CheckpointError::NoFinalNewline);
        };
        let lines: Vec<&str> = body.split('\n').collect();
        if let Some(empty) = lines.iter().position(|line| line.is_empty()) {
            return Err(CheckpointError::EmptyLine { line: empty + 1 });
        }
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::TooFewLines);
        };
        if extensions.len() > MAX_EXTENSIONS {
            return Err(CheckpointError::TooManyExtensions);
        }
        Ok(Checkpoint {
            origin: (*origin).to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            extensions: extensions.iter().map(|line| (*line).to_owned()).collect(),
        })
    }
}

/// ASCII decimal, no sign, no leading zeros (except `0` itself), within u64.
fn parse_size(text: &str) -> Result<u64, CheckpointError> {
    if !text.bytes().all(|b| b.is_ascii_digit()) || (text.len() > 1 && text.starts_with('0')) {
        return Err(CheckpointError::BadSize);
    }
    text.parse().map_err(|_overflow| CheckpointError::BadSize)
}

/// Standard, padded, canonical base64 of exactly 32 bytes.
fn parse_root(text: &str) -> Result<Hash, CheckpointError> {
    let bytes = Base64::decode_vec(text).map_err(|_invalid| CheckpointError::BadRoot)?;
    bytes
        .try_into()
        .map_err(|_wrong_length| CheckpointError::BadRoot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::EMPTY_ROOT;

    /// The example in the spec.
    const SPEC_BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn the_spec_example_parses_and_prints_back_byte_for_byte() {
        let checkpoint = Checkpoint::parse(SPEC_BODY).expect("parses");
        assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
        assert_eq!(checkpoint.size, 20_852_163);
        assert_eq!(
            Base64::encode_string(&checkpoint.root),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert!(checkpoint.extensions.is_empty());
        assert_eq!(checkpoint.to_body(), SPEC_BODY);
    }

    #[test]
    fn checkpoints_round_trip_with_extensions_and_extreme_sizes() {
        for size in [0, 1, 10, u64::MAX] {
            let mut checkpoint = Checkpoint::new("relay.example.se/kiosk-log", size, EMPTY_ROOT);
            assert_eq!(
                Checkpoint::parse(&checkpoint.to_body()),
                Ok(checkpoint.clone())
            );
            checkpoint.extensions = vec!["ext one".into(), "— ext two".into()];
            assert_eq!(Checkpoint::parse(&checkpoint.to_body()), Ok(checkpoint));
        }
    }

    #[test]
    fn non_canonical_or_malformed_checkpoints_are_refused_naming_the_fault() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases: Vec<(String, CheckpointError)> = vec![
            ("o\n1\n".into(), CheckpointError::TooFewLines),
            (format!("o\n1\n{root}"), CheckpointError::NoFinalNewline),
            (
                format!("\n1\n{root}\n"),
                CheckpointError::EmptyLine { line: 1 },
            ),
            (
                format!("o\n1\n{root}\n\n"),
                CheckpointError::EmptyLine { line: 4 },
            ),
            (
                format!("o\n1\n{root}\n\next\n"),
                CheckpointError::EmptyLine { line: 4 },
            ),
            (format!("o\n01\n{root}\n"), CheckpointError::BadSize),
            (format!("o\n00\n{root}\n"), CheckpointError::BadSize),
            (format!("o\n+1\n{root}\n"), CheckpointError::BadSize),
            (format!("o\n-1\n{root}\n"), CheckpointError::BadSize),
            (format!("o\n 1\n{root}\n"), CheckpointError::BadSize),
            (format!("o\n1.0\n{root}\n"), CheckpointError::BadSize),
            (
                format!("o\n18446744073709551616\n{root}\n"),
                CheckpointError::BadSize,
            ),
            // Unpadded, URL-safe, too short, too long, non-canonical trailing bits.
            (
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n".into(),
                CheckpointError::BadRoot,
            ),
            (
                "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n".into(),
                CheckpointError::BadRoot,
            ),
            (
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n".into(),
                CheckpointError::BadRoot,
            ),
            (format!("o\n1\n{root}AAAA\n"), CheckpointError::BadRoot),
            (
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".into(),
                CheckpointError::BadRoot,
            ),
            (
                format!("o\n1\n{root}\r\n"),
                CheckpointError::ControlCharacter,
            ),
            (
                format!("o\n1\n{root}\n{}", "x\n".repeat(MAX_EXTENSIONS + 1)),
                CheckpointError::TooManyExtensions,
            ),
            (
                format!("{}\n1\n{root}\n", "o".repeat(MAX_CHECKPOINT_LEN)),
                CheckpointError::TooLarge {
                    len: MAX_CHECKPOINT_LEN + 48,
                },
            ),
        ];
        for (body, want) in cases {
            assert_eq!(Checkpoint::parse(&body), Err(want), "{body:?}");
        }
    }
}
