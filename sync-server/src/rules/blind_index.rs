//! Keyed blind indexes of a visitor's email and phone: how the relay finds a person's other
//! registrations ("seen before") and a do-not-contact entry without storing another plaintext
//! copy. Each value is normalised ([`normalized_email`], [`normalized_phone`]), then hashed
//! with HMAC-SHA-256 under a key derived from the relay's index key per purpose and field by
//! HKDF-SHA-256 (`kiosk-bidx-v1/<purpose>/<field>`), so an index of one purpose or field
//! says nothing of another.
//!
//! The duplicate index keeps only [`DEDUPE_LEN`] bytes: values collide on purpose (about one
//! in four billion pairs), so a row alone never says two records are one person's, and every
//! candidate is confirmed against the stored records before a flag is shown. The
//! do-not-contact index keeps the whole 32 bytes: it must match exactly, and the records it
//! came from may be gone.
//!
//! A keyed hash of an email or phone number is still personal data: with the index key, a
//! guess is tested in one HMAC, and Swedish mobile numbers (about 10^8) are few enough to
//! try them all. The key therefore lives outside the database and its backups (README).

use hkdf::Hkdf;
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

/// Bytes kept of a duplicate-index value: few enough that values collide.
pub const DEDUPE_LEN: usize = 4;

/// What an index is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Dedupe,
    DoNotContact,
}

/// Which of the person's fields a value is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Email,
    Phone,
}

impl Field {
    /// The field's name in labels and stored rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Phone => "phone",
        }
    }

    pub fn parse(text: &str) -> Option<Field> {
        match text {
            "email" => Some(Field::Email),
            "phone" => Some(Field::Phone),
            _ => None,
        }
    }
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Dedupe => "dedupe",
            Purpose::DoNotContact => "dnc",
        }
    }
}

/// The keys of every index, derived from the relay's index key.
#[derive(Clone)]
pub struct BlindIndexKeys {
    dedupe_email: [u8; 32],
    dedupe_phone: [u8; 32],
    dnc_email: [u8; 32],
    dnc_phone: [u8; 32],
}

impl std::fmt::Debug for BlindIndexKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndexKeys(..)")
    }
}

impl BlindIndexKeys {
    /// The keys derived from `index_key` (the relay's `relay-index.key`).
    pub fn derive(index_key: &[u8; 32]) -> BlindIndexKeys {
        let hkdf = Hkdf::<Sha256>::new(Some(b"kiosk-bidx-v1"), index_key);
        let key = |purpose: Purpose, field: Field| {
            let mut out = [0u8; 32];
            let label = format!("kiosk-bidx-v1/{}/{}", purpose.as_str(), field.as_str());
            hkdf.expand(label.as_bytes(), &mut out)
                .expect("32 bytes is a valid HKDF-SHA-256 length");
            out
        };
        BlindIndexKeys {
            dedupe_email: key(Purpose::Dedupe, Field::Email),
            dedupe_phone: key(Purpose::Dedupe, Field::Phone),
            dnc_email: key(Purpose::DoNotContact, Field::Email),
            dnc_phone: key(Purpose::DoNotContact, Field::Phone),
        }
    }

    /// A keyed hash that tells index keys apart and reveals none: what the store records to
    /// refuse a relay started with another key.
    pub fn fingerprint(&self) -> [u8; 32] {
        crate::keyed_hash::hmac_sha256(&self.dedupe_email, &[b"kiosk-bidx-v1/fingerprint"])
    }

    fn key(&self, purpose: Purpose, field: Field) -> &[u8; 32] {
        match (purpose, field) {
            (Purpose::Dedupe, Field::Email) => &self.dedupe_email,
            (Purpose::Dedupe, Field::Phone) => &self.dedupe_phone,
            (Purpose::DoNotContact, Field::Email) => &self.dnc_email,
            (Purpose::DoNotContact, Field::Phone) => &self.dnc_phone,
        }
    }

    /// The duplicate-index value of a normalised `value` of `field`: [`DEDUPE_LEN`] bytes.
    pub fn dedupe(&self, field: Field, normalized: &str) -> Vec<u8> {
        crate::keyed_hash::hmac_sha256(self.key(Purpose::Dedupe, field), &[normalized.as_bytes()])
            [..DEDUPE_LEN]
            .to_vec()
    }

    /// The do-not-contact value of a normalised `value` of `field`: all 32 bytes.
    pub fn do_not_contact(&self, field: Field, normalized: &str) -> Vec<u8> {
        crate::keyed_hash::hmac_sha256(
            self.key(Purpose::DoNotContact, field),
            &[normalized.as_bytes()],
        )
        .to_vec()
    }
}

/// The normalised values of a person's email and phone, those given and well formed.
pub fn normalized_contacts(email: Option<&str>, phone: Option<&str>) -> Vec<(Field, String)> {
    let mut out = Vec::with_capacity(2);
    if let Some(email) = email.and_then(normalized_email) {
        out.push((Field::Email, email));
    }
    if let Some(phone) = phone.and_then(normalized_phone) {
        out.push((Field::Phone, phone));
    }
    out
}

/// An email address as the index hashes it: trimmed, NFC, lower case, its domain in IDNA
/// ASCII form (`exämple.se` and `xn--exmple-cua.se` are one domain). `None` if it has no
/// `@` with text on both sides, or is longer than an address can be.
pub fn normalized_email(typed: &str) -> Option<String> {
    let nfc: String = typed.trim().nfc().collect();
    if nfc.is_empty() || nfc.len() > 320 {
        return None;
    }
    let lower = nfc.to_lowercase();
    let (local, domain) = lower.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    let labels: Option<Vec<String>> = domain
        .trim_end_matches('.')
        .split('.')
        .map(idna_label)
        .collect();
    Some(format!("{local}@{}", labels?.join(".")))
}

/// A domain label in IDNA ASCII form: as it is if ASCII, else `xn--` and its Punycode.
fn idna_label(label: &str) -> Option<String> {
    if label.is_empty() {
        return None;
    }
    if label.is_ascii() {
        return Some(label.to_owned());
    }
    Some(format!("xn--{}", punycode(label)?))
}

/// RFC 3492 Punycode of `input` (the encoder, as IDNA uses it).
fn punycode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
    }
    fn digit(d: u32) -> char {
        (if d < 26 {
            b'a' + d as u8
        } else {
            b'0' + (d - 26) as u8
        }) as char
    }
    let code_points: Vec<u32> = input.chars().map(|c| c as u32).collect();
    let mut output: String = input.chars().filter(char::is_ascii).collect();
    let basic = output.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        output.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    while (handled as usize) < code_points.len() {
        let m = *code_points.iter().filter(|&&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &code_points {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    output.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                output.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(output)
}

/// A phone number as the index hashes it: E.164 (`+46701234567`), read as
/// [`crate::rules::phone_search`] reads a number typed as said (a single leading `0` is
/// Sweden's trunk prefix). `None` if it is not written as a phone number or has too few or
/// too many digits for one (E.164 allows 15).
pub fn normalized_phone(typed: &str) -> Option<String> {
    let digits = crate::rules::phone_search::normalized(typed);
    if digits.len() < 7 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_composed_lower_cased_and_its_domain_made_ascii() {
        // "ä" composed (U+00E4) and decomposed (a + U+0308) are one address.
        let composed = "  Anna.Åberg@Exämple.SE ";
        let decomposed = "anna.A\u{30a}berg@exa\u{308}mple.se";
        assert_eq!(
            normalized_email(composed).as_deref(),
            Some("anna.åberg@xn--exmple-cua.se")
        );
        assert_eq!(normalized_email(decomposed), normalized_email(composed));
        assert_eq!(
            normalized_email("anna.åberg@xn--exmple-cua.se"),
            normalized_email(composed),
            "the domain typed in its ASCII form"
        );
        assert_eq!(
            normalized_email("x@bücher.example").as_deref(),
            Some("x@xn--bcher-kva.example"),
            "RFC 3492's own example label"
        );
        assert_eq!(
            normalized_email("x@münchen.de").as_deref(),
            Some("x@xn--mnchen-3ya.de")
        );
        for bad in ["", "   ", "no-at-sign", "@example.se", "anna@", "a@b..se"] {
            assert_eq!(normalized_email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_phone_number_written_any_usual_way_is_one_e164_number() {
        for typed in [
            "070-123 45 67",
            "0701234567",
            "+46 70 123 45 67",
            "0046 70 123 45 67",
            "+46 (0)70-123 45 67",
            "46701234567",
        ] {
            assert_eq!(
                normalized_phone(typed).as_deref(),
                Some("+46701234567"),
                "{typed}"
            );
        }
        assert_eq!(
            normalized_phone("+47 912 34 567").as_deref(),
            Some("+4791234567")
        );
        for bad in ["", "12", "070 ABC", "anna@example.se", "+1234567890123456"] {
            assert_eq!(normalized_phone(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn each_purpose_and_field_has_its_own_key_and_dedupe_values_are_truncated() {
        let keys = BlindIndexKeys::derive(&[1; 32]);
        let email = normalized_email("anna@example.se").expect("an address");
        let dedupe = keys.dedupe(Field::Email, &email);
        let dnc = keys.do_not_contact(Field::Email, &email);
        assert_eq!(dedupe.len(), DEDUPE_LEN);
        assert_eq!(dnc.len(), 32);
        assert_ne!(dedupe[..], dnc[..DEDUPE_LEN], "another key per purpose");
        assert_ne!(
            keys.dedupe(Field::Phone, &email),
            dedupe,
            "another key per field"
        );
        assert_ne!(
            BlindIndexKeys::derive(&[2; 32]).dedupe(Field::Email, &email),
            dedupe,
            "another index key, other values"
        );
        assert_eq!(keys.dedupe(Field::Email, &email), dedupe, "deterministic");
    }
}
