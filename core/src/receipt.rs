//! The visitor's receipt: 128 random bits the tablet draws at submit, shows once (as a QR
//! code and a typed code) and forgets.
//!
//! The secret never leaves the visitor: the seal carries only its domain-tagged hash
//! ([`ReceiptSecret::hash`], `SHA-256("kiosk-receipt-v1" ‖ secret)`), outside the Automerge
//! document (which is a public record), and the relay keeps only a keyed hash of that. So
//! neither a lost tablet (which never stores the secret) nor the relay's database (which holds
//! a keyed hash of a hash) gives anyone a working receipt.
//!
//! The typed code is Crockford base32: the 128 bits as 26 symbols (the first carries 3 bits),
//! then Crockford's check symbol (the number modulo 37), shown in upper case in groups of
//! four: `7ZQK-M4XR-TB9D-1H6C-ANPE-W3VS-G2F*`. Read back, lower case, hyphens and spaces are
//! accepted, `I`/`L` read as `1` and `O` as `0`, as Crockford's decoding rules say; a code
//! whose check symbol disagrees is refused as mistyped, so a slip of one symbol or two
//! swapped neighbours never looks up anything.

use sha2::{Digest, Sha256};

/// Domain tag of the receipt hash the seal carries.
pub const RECEIPT_HASH_TAG: &[u8] = b"kiosk-receipt-v1";
/// Bytes of a receipt secret.
pub const SECRET_LEN: usize = 16;
/// Symbols of a code: 26 for the secret and one check symbol.
pub const CODE_SYMBOLS: usize = 27;
/// The path of the visitor's receipt page on the relay; the QR code's address is this path
/// with the code in the fragment, which a browser never sends to a server.
pub const RECEIPT_PAGE_PATH: &str = "/kvitto";

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Crockford's check symbols: the alphabet, then the five values 32–36.
const CHECK_ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

/// A receipt secret. Not `Debug`-printable as its bytes, and zeroed when dropped: it exists
/// only between the submit and the thank-you screen.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceiptSecret([u8; SECRET_LEN]);

impl std::fmt::Debug for ReceiptSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReceiptSecret(…)")
    }
}

impl Drop for ReceiptSecret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl ReceiptSecret {
    /// Draws a new secret from the operating system's random source.
    pub fn generate() -> ReceiptSecret {
        ReceiptSecret(rand::random())
    }

    pub fn from_bytes(bytes: [u8; SECRET_LEN]) -> ReceiptSecret {
        ReceiptSecret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; SECRET_LEN] {
        &self.0
    }

    /// The hash the seal carries: `SHA-256("kiosk-receipt-v1" ‖ secret)`.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(RECEIPT_HASH_TAG)
            .chain_update(self.0)
            .finalize()
            .into()
    }

    /// The code as shown: 27 upper-case symbols in groups of four, joined by hyphens.
    pub fn code(&self) -> String {
        let symbols = self.symbols();
        symbols
            .chunks(4)
            .map(|group| group.iter().map(|&b| char::from(b)).collect::<String>())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The code's 27 symbols without separators, as the QR code's fragment carries them.
    pub fn compact_code(&self) -> String {
        self.symbols().iter().map(|&b| char::from(b)).collect()
    }

    /// The address the QR code holds: `relay_base` (e.g. `https://relay.example`) with the
    /// receipt page's path and the code in the fragment.
    pub fn page_address(&self, relay_base: &str) -> String {
        format!(
            "{}{}#{}",
            relay_base.trim_end_matches('/'),
            RECEIPT_PAGE_PATH,
            self.compact_code()
        )
    }

    /// Reads a typed or scanned code back: separators (hyphen, space, no-break space) are
    /// dropped, case is ignored, `I`/`L` read as `1` and `O` as `0`. `None` when it is not 27
    /// symbols of the alphabet, its value does not fit 128 bits, or the check symbol
    /// disagrees.
    pub fn parse(typed: &str) -> Option<ReceiptSecret> {
        let mut symbols = Vec::with_capacity(CODE_SYMBOLS);
        for c in typed.chars() {
            if matches!(c, '-' | ' ' | '\u{a0}') {
                continue;
            }
            if symbols.len() == CODE_SYMBOLS {
                return None;
            }
            let c = c.to_ascii_uppercase();
            let c = match c {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            if !c.is_ascii() {
                return None;
            }
            symbols.push(c as u8);
        }
        if symbols.len() != CODE_SYMBOLS {
            return None;
        }
        let mut value: u128 = 0;
        for (i, &symbol) in symbols[..CODE_SYMBOLS - 1].iter().enumerate() {
            let digit = ALPHABET.iter().position(|&a| a == symbol)? as u128;
            // The first symbol carries the top 3 bits: anything larger does not fit 128 bits.
            if i == 0 && digit > 7 {
                return None;
            }
            value = (value << 5) | digit;
        }
        let check = CHECK_ALPHABET
            .iter()
            .position(|&a| a == symbols[CODE_SYMBOLS - 1])?;
        (value % 37 == check as u128).then(|| ReceiptSecret(value.to_be_bytes()))
    }

    fn symbols(&self) -> [u8; CODE_SYMBOLS] {
        let value = u128::from_be_bytes(self.0);
        let mut symbols = [0u8; CODE_SYMBOLS];
        for (i, symbol) in symbols[..CODE_SYMBOLS - 1].iter_mut().enumerate() {
            let shift = 5 * (CODE_SYMBOLS - 2 - i);
            *symbol = ALPHABET[((value >> shift) & 31) as usize];
        }
        symbols[CODE_SYMBOLS - 1] = CHECK_ALPHABET[(value % 37) as usize];
        symbols
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_code_is_27_symbols_in_groups_of_four_and_reads_back() {
        let secret = ReceiptSecret::from_bytes([
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65,
            0x43, 0x21,
        ]);
        let code = secret.code();
        assert_eq!(code.len(), CODE_SYMBOLS + 6);
        assert_eq!(
            code.split('-').map(str::len).collect::<Vec<_>>(),
            [4, 4, 4, 4, 4, 4, 3]
        );
        assert_eq!(ReceiptSecret::parse(&code), Some(secret.clone()));
        assert_eq!(
            ReceiptSecret::parse(&code.to_lowercase().replace('-', " ")),
            Some(secret.clone())
        );
        assert_eq!(ReceiptSecret::parse(&secret.compact_code()), Some(secret));
    }

    #[test]
    fn the_receipt_hash_is_sha256_over_the_tag_and_the_secret() {
        let secret = ReceiptSecret::from_bytes([7; SECRET_LEN]);
        let mut input = b"kiosk-receipt-v1".to_vec();
        input.extend_from_slice(&[7; SECRET_LEN]);
        let expected: [u8; 32] = Sha256::digest(&input).into();
        assert_eq!(secret.hash(), expected);
    }

    #[test]
    fn crockford_look_alikes_read_as_the_digits_they_resemble() {
        // All zeros: every symbol `0`, check symbol `0`.
        let zero = ReceiptSecret::from_bytes([0; SECRET_LEN]);
        assert_eq!(zero.compact_code(), "0".repeat(CODE_SYMBOLS));
        assert_eq!(
            ReceiptSecret::parse(&"o".repeat(CODE_SYMBOLS)),
            Some(zero.clone())
        );
        let one = ReceiptSecret::from_bytes(1u128.to_be_bytes());
        assert_eq!(one.compact_code(), format!("{}11", "0".repeat(25)));
        assert_eq!(
            ReceiptSecret::parse(&format!("{}il", "O".repeat(25))),
            Some(one)
        );
    }

    #[test]
    fn codes_too_long_too_short_out_of_range_or_of_foreign_symbols_are_refused() {
        let code = ReceiptSecret::from_bytes([0x5a; SECRET_LEN]).compact_code();
        assert_eq!(ReceiptSecret::parse(&code[1..]), None);
        assert_eq!(ReceiptSecret::parse(&format!("{code}0")), None);
        assert_eq!(ReceiptSecret::parse(""), None);
        assert_eq!(ReceiptSecret::parse(&format!("U{}", &code[1..])), None);
        assert_eq!(ReceiptSecret::parse(&format!("Å{}", &code[1..])), None);
        // A first symbol of 8 or more would need 131 bits.
        assert_eq!(ReceiptSecret::parse(&format!("8{}", &code[1..])), None);
        // The check symbols `*~$=U` stand only last.
        assert_eq!(
            ReceiptSecret::parse(&format!("{}*{}", &code[..5], &code[6..])),
            None
        );
    }

    #[test]
    fn the_page_address_carries_the_code_only_in_its_fragment() {
        let secret = ReceiptSecret::from_bytes([9; SECRET_LEN]);
        let address = secret.page_address("https://relay.example/");
        assert_eq!(
            address,
            format!("https://relay.example/kvitto#{}", secret.compact_code())
        );
        let (before, fragment) = address.split_once('#').expect("a fragment");
        assert!(!before.contains(&secret.compact_code()));
        assert_eq!(ReceiptSecret::parse(fragment), Some(secret));
    }

    /// The receipt code's vector in `docs/protocol.md`, checked against the code and the page.
    #[test]
    fn golden_vector_of_a_receipt_code_is_the_one_the_protocol_document_shows() {
        let secret = ReceiptSecret::from_bytes(std::array::from_fn(|i| i as u8));
        let code = "0004-1061-050R-3GG2-8A1C-60T3-GF6";
        let hash = "4d45ddfdeb3165b068a9cf7c061853a6dd3ac1768878bcd7bb949d17d83dbf85";
        let address = "https://relay.example.se/kvitto#00041061050R3GG28A1C60T3GF6";
        assert_eq!(secret.code(), code);
        assert_eq!(hex::encode(secret.hash()), hash);
        assert_eq!(secret.page_address("https://relay.example.se"), address);
        // Written out by hand from the definition: 0x000102…0f in base 32, then mod 37.
        let value = u128::from_be_bytes(*secret.as_bytes());
        assert_eq!(value % 37, 6, "the check symbol, last: 6");
        let flattened: String = include_str!("../../docs/protocol.md")
            .split_whitespace()
            .collect();
        for shown in ["000102030405060708090a0b0c0d0e0f", code, hash, address] {
            assert!(flattened.contains(shown), "docs/protocol.md shows {shown}");
        }
    }

    #[test]
    fn generated_secrets_differ() {
        assert_ne!(ReceiptSecret::generate(), ReceiptSecret::generate());
    }

    proptest! {
        #[test]
        fn every_secret_reads_back_from_its_code(bytes in any::<[u8; SECRET_LEN]>()) {
            let secret = ReceiptSecret::from_bytes(bytes);
            prop_assert_eq!(ReceiptSecret::parse(&secret.code()), Some(secret));
        }

        #[test]
        fn one_changed_symbol_is_caught_by_the_check(
            bytes in any::<[u8; SECRET_LEN]>(),
            position in 0usize..CODE_SYMBOLS - 1,
            replacement in 0usize..32,
        ) {
            let secret = ReceiptSecret::from_bytes(bytes);
            let mut symbols: Vec<u8> = secret.compact_code().into_bytes();
            prop_assume!(symbols[position] != ALPHABET[replacement]);
            symbols[position] = ALPHABET[replacement];
            let typed = String::from_utf8(symbols).expect("ascii");
            prop_assert_eq!(ReceiptSecret::parse(&typed), None);
        }

        #[test]
        fn two_swapped_neighbours_are_caught_by_the_check(
            bytes in any::<[u8; SECRET_LEN]>(),
            position in 0usize..CODE_SYMBOLS - 2,
        ) {
            let secret = ReceiptSecret::from_bytes(bytes);
            let mut symbols: Vec<u8> = secret.compact_code().into_bytes();
            prop_assume!(symbols[position] != symbols[position + 1]);
            symbols.swap(position, position + 1);
            let typed = String::from_utf8(symbols).expect("ascii");
            prop_assert_eq!(ReceiptSecret::parse(&typed), None);
        }
    }
}
