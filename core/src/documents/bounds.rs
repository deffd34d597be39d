//! Bounds on Automerge bytes from elsewhere, checked before Automerge reads them.
//!
//! Automerge 0.12 inflates a compressed change chunk (type 2) with no limit, and expands
//! run-length-encoded columns as it reads them, so a few kilobytes can make it allocate
//! and work through gigabytes: 61 KB of deflate became a 60 MiB change at the relay. Every
//! load of bytes that came over the network goes through [`check_change_chunks`] first. It
//! takes only change chunks (types 1 and 2, what [`super::Document::save_changes`] writes),
//! inflates each with a bound, walks the change's header and columns without building any
//! operation, and refuses what declares or expands past the [`ChunkLimits`] given. Its own
//! work is proportional to the bytes it is given plus the bound, never to what the bytes
//! claim.

use std::io::Read;

use sha2::{Digest, Sha256};

/// How much Automerge bytes may hold once inflated and expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The most change chunks.
    pub max_chunks: usize,
    /// The largest change body, as Automerge reads it (inflated).
    pub max_change_bytes: usize,
    /// All change bodies together, inflated.
    pub max_total_bytes: usize,
    /// The most values any one column of a change may expand to (about the number of
    /// operations): run-length encoding can declare billions in a few bytes.
    pub max_column_items: u64,
    /// All columns of all changes together, expanded, in bytes (a run of `n` copies of a
    /// 10-byte string counts `10 n`; every value at least 1).
    pub max_expanded_bytes: u64,
}

impl ChunkLimits {
    /// A kiosk's capture: one small change (a registration is about 740 bytes saved; free
    /// text and choice lists are bounded by validation, well under these). A few changes
    /// are let through the bounds so that an authentic push of more than one is quarantined
    /// as "not a capture" (`not_permitted`), as the trust model says, not dropped.
    pub const CAPTURE: ChunkLimits = ChunkLimits {
        max_chunks: 16,
        max_change_bytes: 64 * 1024,
        max_total_bytes: 64 * 1024,
        max_column_items: 4096,
        max_expanded_bytes: 1024 * 1024,
    };

    /// A staff tablet's edits in one push (at most 64 KiB as sent; a note is at most 2,000
    /// characters, so a change a few KiB; text compresses a few times at most).
    pub const STAFF_EDIT: ChunkLimits = ChunkLimits {
        max_chunks: 1024,
        max_change_bytes: 128 * 1024,
        max_total_bytes: 1024 * 1024,
        max_column_items: 16 * 1024,
        max_expanded_bytes: 8 * 1024 * 1024,
    };

    /// A whole document sent as its changes: a registration with its notes, an event with
    /// its forms and notices, as a relay stores and a tablet pulls them. Far above any real
    /// one, but a bound.
    pub const DOCUMENT: ChunkLimits = ChunkLimits {
        max_chunks: 100_000,
        max_change_bytes: 4 * 1024 * 1024,
        max_total_bytes: 32 * 1024 * 1024,
        max_column_items: 1_000_000,
        max_expanded_bytes: 128 * 1024 * 1024,
    };
}

/// Why bytes were refused before Automerge read them. Says nothing of their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    #[error("the bytes are not whole Automerge change chunks")]
    NotChangeChunks,
    #[error("a change chunk's checksum does not match its contents")]
    BadChecksum,
    #[error("more change chunks than allowed")]
    TooManyChunks,
    #[error("a change chunk declares more bytes than allowed")]
    DeclaredTooLarge,
    #[error("a compressed change chunk inflates past the allowed size")]
    InflatesTooLarge,
    #[error("the changes together are larger than allowed")]
    TotalTooLarge,
    #[error("a change's columns expand past the allowed size")]
    ExpandsTooLarge,
    #[error("a change's header or columns are malformed")]
    MalformedChange,
    #[error("a change has compressed columns, which change chunks never have")]
    CompressedColumns,
}

impl BoundError {
    /// Whether the bytes were refused for their size (declared, inflated or expanded)
    /// rather than for their shape.
    pub fn is_too_large(self) -> bool {
        matches!(
            self,
            BoundError::TooManyChunks
                | BoundError::DeclaredTooLarge
                | BoundError::InflatesTooLarge
                | BoundError::TotalTooLarge
                | BoundError::ExpandsTooLarge
        )
    }
}

/// What [`check_change_chunks`] found: each chunk's change hash, in order, as Automerge
/// will compute it, and the inflated size of all changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedChunks {
    pub hashes: Vec<[u8; 32]>,
    pub inflated_bytes: usize,
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;

/// Checks that `bytes` are one or more whole Automerge change chunks within `limits`, before
/// anything hands them to Automerge. See the module documentation.
pub fn check_change_chunks(
    mut bytes: &[u8],
    limits: &ChunkLimits,
) -> Result<CheckedChunks, BoundError> {
    if bytes.is_empty() {
        return Err(BoundError::NotChangeChunks);
    }
    let mut checked = CheckedChunks {
        hashes: Vec::new(),
        inflated_bytes: 0,
    };
    let mut expanded: u64 = 0;
    let mut inflated = Vec::new();
    while !bytes.is_empty() {
        if checked.hashes.len() >= limits.max_chunks {
            return Err(BoundError::TooManyChunks);
        }
        let mut reader = Reader::new(bytes);
        if reader.take(4)? != MAGIC {
            return Err(BoundError::NotChangeChunks);
        }
        let checksum: [u8; 4] = reader.take(4)?.try_into().expect("four bytes");
        let chunk_type = reader.byte()?;
        if !matches!(chunk_type, CHANGE | COMPRESSED_CHANGE) {
            return Err(BoundError::NotChangeChunks);
        }
        let declared = reader.uleb()?;
        // A compressed chunk's length is its deflated size; either way nothing larger than
        // the largest change is taken, inflated or not.
        if declared > limits.max_change_bytes as u64 {
            return Err(BoundError::DeclaredTooLarge);
        }
        let data = reader
            .take(declared as usize)
            .map_err(|_| BoundError::NotChangeChunks)?;
        let body: &[u8] = if chunk_type == COMPRESSED_CHANGE {
            inflated.clear();
            inflate_at_most(data, limits.max_change_bytes, &mut inflated)?;
            &inflated
        } else {
            data
        };
        checked.inflated_bytes = checked.inflated_bytes.saturating_add(body.len());
        if checked.inflated_bytes > limits.max_total_bytes {
            return Err(BoundError::TotalTooLarge);
        }
        let hash = change_hash(body);
        if hash[..4] != checksum {
            return Err(BoundError::BadChecksum);
        }
        expanded = expanded.saturating_add(expanded_size(body, limits)?);
        if expanded > limits.max_expanded_bytes {
            return Err(BoundError::ExpandsTooLarge);
        }
        checked.hashes.push(hash);
        bytes = &bytes[reader.at..];
    }
    Ok(checked)
}

/// Splits bytes already checked by [`check_change_chunks`] into their chunks.
pub(crate) fn split_checked_chunks(mut bytes: &[u8]) -> Result<Vec<&[u8]>, BoundError> {
    let mut chunks = Vec::new();
    while !bytes.is_empty() {
        let mut reader = Reader::new(bytes);
        reader.take(9)?;
        let length = reader.uleb()?;
        let end = usize::try_from(length)
            .ok()
            .and_then(|l| reader.at.checked_add(l))
            .filter(|end| *end <= bytes.len())
            .ok_or(BoundError::NotChangeChunks)?;
        chunks.push(&bytes[..end]);
        bytes = &bytes[end..];
    }
    Ok(chunks)
}

/// Inflates `deflated` into `out`, refusing it once it passes `limit` bytes: the work and
/// memory are bounded by the limit, whatever the stream claims.
fn inflate_at_most(deflated: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), BoundError> {
    let decoder = flate2::bufread::DeflateDecoder::new(deflated);
    decoder
        .take(limit as u64 + 1)
        .read_to_end(out)
        .map_err(|_| BoundError::NotChangeChunks)?;
    if out.len() > limit {
        return Err(BoundError::InflatesTooLarge);
    }
    Ok(())
}

/// A change's hash as Automerge computes it: SHA-256 over the uncompressed chunk's type,
/// length and body.
fn change_hash(body: &[u8]) -> [u8; 32] {
    let mut length = Vec::with_capacity(10);
    write_uleb(&mut length, body.len() as u64);
    Sha256::new()
        .chain_update([CHANGE])
        .chain_update(&length)
        .chain_update(body)
        .finalize()
        .into()
}

fn write_uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Walks a change body (header, then columns) and returns how large its columns expand,
/// refusing a column that expands to more than the limits allow.
fn expanded_size(body: &[u8], limits: &ChunkLimits) -> Result<u64, BoundError> {
    let mut reader = Reader::new(body);
    let deps = reader.uleb()?;
    for _ in 0..deps {
        reader.take(32)?;
    }
    let actor = reader.uleb()?;
    reader.take_len(actor)?;
    reader.uleb()?; // seq
    reader.uleb()?; // start op
    reader.sleb()?; // timestamp
    let message = reader.uleb()?;
    reader.take_len(message)?;
    let others = reader.uleb()?;
    for _ in 0..others {
        let actor = reader.uleb()?;
        reader.take_len(actor)?;
    }
    let columns = reader.uleb()?;
    let mut specs = Vec::new();
    for _ in 0..columns {
        let spec = u32::try_from(reader.uleb()?).map_err(|_| BoundError::MalformedChange)?;
        let length = reader.uleb()?;
        specs.push((spec, length));
    }
    let mut total: u64 = 0;
    for (spec, length) in specs {
        let data = reader.take_len(length)?;
        if spec & 0b1000 != 0 {
            return Err(BoundError::CompressedColumns);
        }
        let (items, bytes) = column_size(spec & 0b111, data, limits.max_column_items)?;
        if items > limits.max_column_items {
            return Err(BoundError::ExpandsTooLarge);
        }
        total = total.saturating_add(bytes);
        if total > limits.max_expanded_bytes {
            return Err(BoundError::ExpandsTooLarge);
        }
    }
    // Whatever follows the columns is extra bytes Automerge keeps as they are.
    Ok(total)
}

const GROUP: u32 = 0;
const ACTOR: u32 = 1;
const INTEGER: u32 = 2;
const DELTA: u32 = 3;
const BOOLEAN: u32 = 4;
const STRING: u32 = 5;
const VALUE_METADATA: u32 = 6;

/// How many values a column decodes to and their size in bytes (each at least 1); stops as
/// soon as the count passes `max_items`.
fn column_size(column_type: u32, data: &[u8], max_items: u64) -> Result<(u64, u64), BoundError> {
    let mut reader = Reader::new(data);
    let (mut items, mut bytes) = (0u64, 0u64);
    match column_type {
        BOOLEAN => {
            // Alternating runs of false and true, each a count.
            while !reader.done() {
                let run = reader.uleb()?;
                items = items.saturating_add(run);
                bytes = bytes.saturating_add(run);
                if items > max_items {
                    break;
                }
            }
        }
        GROUP | ACTOR | INTEGER | DELTA | STRING | VALUE_METADATA => {
            // Run-length encoding: a positive count and one value repeated, a negative count
            // and that many values, or zero and a count of nulls.
            let read_value = |reader: &mut Reader<'_>| -> Result<u64, BoundError> {
                match column_type {
                    DELTA => reader.sleb().map(|_| 1),
                    STRING => {
                        let length = reader.uleb()?;
                        reader.take_len(length)?;
                        Ok(length.max(1))
                    }
                    _ => reader.uleb().map(|_| 1),
                }
            };
            while !reader.done() {
                let count = reader.sleb()?;
                if count > 0 {
                    let run = count.unsigned_abs();
                    let size = read_value(&mut reader)?;
                    items = items.saturating_add(run);
                    bytes = bytes.saturating_add(run.saturating_mul(size));
                } else if count < 0 {
                    // Each literal is in the bytes: reading them is bounded by the bytes.
                    for _ in 0..count.unsigned_abs().min(max_items + 1) {
                        bytes = bytes.saturating_add(read_value(&mut reader)?);
                    }
                    items = items.saturating_add(count.unsigned_abs());
                } else {
                    let run = reader.uleb()?;
                    items = items.saturating_add(run);
                    bytes = bytes.saturating_add(run);
                }
                if items > max_items {
                    break;
                }
            }
        }
        // Raw values: their lengths are in the metadata column, and they are the bytes given.
        _ => {
            bytes = data.len() as u64;
        }
    }
    Ok((items, bytes))
}

/// Reads LEB128 numbers and byte runs, failing rather than reading past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], BoundError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(BoundError::MalformedChange)?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn take_len(&mut self, n: u64) -> Result<&'a [u8], BoundError> {
        self.take(usize::try_from(n).map_err(|_| BoundError::MalformedChange)?)
    }

    fn byte(&mut self) -> Result<u8, BoundError> {
        Ok(self.take(1)?[0])
    }

    /// An unsigned LEB128 number; one that does not fit 64 bits is malformed (never cut
    /// short, which would make it look smaller than Automerge reads it).
    fn uleb(&mut self) -> Result<u64, BoundError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            if shift == 63 && byte > 1 {
                return Err(BoundError::MalformedChange);
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(BoundError::MalformedChange)
    }

    /// A signed LEB128 number; one that does not fit 64 bits is malformed.
    fn sleb(&mut self) -> Result<i64, BoundError> {
        let mut value: i64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            if shift == 63 && !matches!(byte, 0x00 | 0x7f) {
                return Err(BoundError::MalformedChange);
            }
            value |= i64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if shift + 7 < 64 && byte & 0x40 != 0 {
                    value |= -1 << (shift + 7);
                }
                return Ok(value);
            }
        }
        Err(BoundError::MalformedChange)
    }
}

/// A compressed change chunk by `actor` that is a few bytes per KiB of what it inflates
/// to: a change whose message is `inflated` bytes long. What an attacker sends; for tests
/// and benchmarks of the refusal.
#[doc(hidden)]
pub fn inflating_change_for_tests(actor: &[u8; 32], inflated: usize) -> Vec<u8> {
    let mut body = vec![0, 32];
    body.extend_from_slice(actor);
    body.extend_from_slice(&[1, 1, 0]); // seq, start op, time
    write_uleb(&mut body, inflated as u64);
    body.resize(body.len() + inflated, b'a');
    body.extend_from_slice(&[0, 0]); // no other actors, no columns
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut encoder, &body).expect("in memory");
    let deflated = encoder.finish().expect("in memory");
    let mut chunk = MAGIC.to_vec();
    chunk.extend_from_slice(&change_hash(&body)[..4]);
    chunk.push(COMPRESSED_CHANGE);
    write_uleb(&mut chunk, deflated.len() as u64);
    chunk.extend_from_slice(&deflated);
    chunk
}

#[cfg(test)]
mod tests;
