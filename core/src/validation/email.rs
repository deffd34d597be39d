//! Email address syntax.
//!
//! The kiosk checks the form of an address (`local@domain.tld`), not that it exists. Dot-atom
//! local parts as RFC 5322 allows them, including letters outside ASCII (RFC 6531), and
//! domains of letter-digit-hyphen labels, internationalised ones included. Quoted local parts
//! and IP-literal domains are refused: no visitor at a job fair has one, and a typo that
//! happens to be valid RFC 5322 is more likely. The domain is lower-cased; the local part
//! is kept as typed, since it may be case-sensitive.

use super::errors::Reason;
use crate::form::limits::EMAIL_MAX_CHARS;

const LOCAL_PART_MAX_CHARS: usize = 64;
const LABEL_MAX_CHARS: usize = 63;

/// Normalises an email address, or says why it is not one.
pub fn normalize_email(raw: &str) -> Result<String, Reason> {
    let address = raw.trim();
    if address.is_empty() {
        return Err(Reason::Required);
    }
    if address.chars().count() > EMAIL_MAX_CHARS {
        return Err(Reason::TooLong {
            max: EMAIL_MAX_CHARS,
        });
    }
    let (local, domain) = address.split_once('@').ok_or(Reason::InvalidEmail)?;
    if !valid_local_part(local) || !valid_domain(domain) {
        return Err(Reason::InvalidEmail);
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

fn valid_local_part(local: &str) -> bool {
    let atom_char = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+/=?^_`{|}~-".contains(c)
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    (1..=LOCAL_PART_MAX_CHARS).contains(&local.chars().count())
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atom_char))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=LABEL_MAX_CHARS).contains(&label.chars().count())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let top_level_ok = labels.last().is_some_and(|tld| {
        tld.chars().count() >= 2 && tld.chars().all(|c| c.is_alphabetic() || c == '-')
            || tld.starts_with("xn--")
    });
    labels.len() >= 2 && labels.iter().all(label_ok) && top_level_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_accepted_and_domains_lowercased() {
        let cases = [
            ("asa.lind@example.se", "asa.lind@example.se"),
            ("  Asa.Lind@Example.SE ", "Asa.Lind@example.se"),
            (
                "o'brien+fair@mail.example.co.uk",
                "o'brien+fair@mail.example.co.uk",
            ),
            ("åsa@exempel.se", "åsa@exempel.se"),
            ("user@bücher.de", "user@bücher.de"),
            ("a@xn--bcher-kva.de", "a@xn--bcher-kva.de"),
            (
                "x_y-z@sub-domain.example.org",
                "x_y-z@sub-domain.example.org",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_email(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        let bad = [
            "plainaddress",
            "@example.se",
            "asa@",
            "asa@example",
            "asa@@example.se",
            "asa@exa mple.se",
            "asa lind@example.se",
            ".asa@example.se",
            "asa.@example.se",
            "asa..lind@example.se",
            "asa@-example.se",
            "asa@example-.se",
            "asa@example..se",
            "asa@example.s",
            "asa@example.123",
            "asa@[192.168.0.1]",
            "\"asa\"@example.se",
            "asa@example.se\u{202e}",
            "asa\u{0}@example.se",
        ];
        for input in bad {
            assert_eq!(
                normalize_email(input),
                Err(Reason::InvalidEmail),
                "{input:?}"
            );
        }
        assert_eq!(normalize_email(" "), Err(Reason::Required));
        let long = format!("{}@example.se", "a".repeat(250));
        assert_eq!(normalize_email(&long), Err(Reason::TooLong { max: 254 }));
        let long_local = format!("{}@example.se", "a".repeat(65));
        assert_eq!(normalize_email(&long_local), Err(Reason::InvalidEmail));
    }
}
