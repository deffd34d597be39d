//! Codes for list choices made from their labels, so an HR officer types "Malmö" and gets
//! `malmo`: lower case, å/ä → a, ö → o (and other accented Latin letters to their base
//! letter), anything else that is not a letter or digit → one hyphen. The code is what
//! registrations store; it is shown and can be edited, and the event's rules
//! ([`super::check_details`]) still decide whether it is valid and unique.

use std::collections::BTreeSet;

use super::CODE_MAX_CHARS;

/// The code `label` gives, or an empty string when nothing in it can make one (a label of
/// only punctuation or of letters outside the Latin alphabet).
pub(crate) fn derive(label: &str) -> String {
    let mut code = String::with_capacity(label.len().min(CODE_MAX_CHARS));
    let mut gap = false;
    for c in label.chars().flat_map(char::to_lowercase) {
        let letters = match c {
            'a'..='z' | '0'..='9' => None,
            'å' | 'ä' | 'á' | 'à' | 'â' | 'ã' | 'ā' => Some("a"),
            'ö' | 'ó' | 'ò' | 'ô' | 'õ' | 'ø' | 'ō' => Some("o"),
            'é' | 'è' | 'ê' | 'ë' | 'ē' => Some("e"),
            'í' | 'ì' | 'î' | 'ï' => Some("i"),
            'ú' | 'ù' | 'û' | 'ü' => Some("u"),
            'ý' | 'ÿ' => Some("y"),
            'ç' | 'č' => Some("c"),
            'ñ' => Some("n"),
            'š' => Some("s"),
            'ž' => Some("z"),
            'æ' => Some("ae"),
            'ß' => Some("ss"),
            _ => {
                gap = true;
                continue;
            }
        };
        if gap && !code.is_empty() {
            code.push('-');
        }
        gap = false;
        match letters {
            Some(letters) => code.push_str(letters),
            None => code.push(c),
        }
        if code.len() >= CODE_MAX_CHARS {
            break;
        }
    }
    // Only ASCII was pushed, so any byte length is a char boundary.
    code.truncate(CODE_MAX_CHARS);
    code.trim_end_matches('-').to_owned()
}

/// The code `label` gives, made unique among `taken` with `-2`, `-3`, … when it is not.
/// Empty when nothing can be made (see [`derive`]).
pub(crate) fn derive_unique(label: &str, taken: &BTreeSet<String>) -> String {
    let base = derive(label);
    if base.is_empty() || !taken.contains(&base) {
        return base;
    }
    (2..=super::MAX_CHOICES + 1)
        .map(|n| {
            let suffix = format!("-{n}");
            let mut stem = base.clone();
            stem.truncate(CODE_MAX_CHARS - suffix.len());
            format!("{}{suffix}", stem.trim_end_matches('-'))
        })
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_letters_become_their_base_letters() {
        assert_eq!(derive("Malmö"), "malmo");
        assert_eq!(derive("Göteborg"), "goteborg");
        assert_eq!(derive("Åre"), "are");
        assert_eq!(derive("Ärendehandläggning"), "arendehandlaggning");
        assert_eq!(derive("Skåne län"), "skane-lan");
        assert_eq!(derive("ÖSTERSUND"), "ostersund");
    }

    #[test]
    fn spaces_and_punctuation_become_one_hyphen_and_never_lead_or_trail() {
        assert_eq!(derive("  IT-utveckling "), "it-utveckling");
        assert_eq!(derive("Ekonomi & finans"), "ekonomi-finans");
        assert_eq!(
            derive("Juridik (förvaltningsrätt)"),
            "juridik-forvaltningsratt"
        );
        assert_eq!(derive("HR / Personal, 2027"), "hr-personal-2027");
        assert_eq!(derive("Café-personal"), "cafe-personal");
    }

    #[test]
    fn a_label_that_gives_no_code_gives_an_empty_one() {
        assert_eq!(derive(""), "");
        assert_eq!(derive(" – / – "), "");
        assert_eq!(derive("日本語"), "");
    }

    #[test]
    fn derived_codes_keep_the_codes_own_length_limit() {
        let code = derive(&"Förvaltningsrättslig handläggning ".repeat(4));
        assert!(code.len() <= CODE_MAX_CHARS, "{code}");
        assert!(!code.ends_with('-'), "{code}");
        assert!(code.starts_with("forvaltningsrattslig-handlaggning-"));
    }

    #[test]
    fn a_taken_code_gets_the_next_free_number() {
        let mut taken = BTreeSet::new();
        assert_eq!(derive_unique("Juridik", &taken), "juridik");
        taken.insert("juridik".to_owned());
        assert_eq!(derive_unique("Juridik", &taken), "juridik-2");
        taken.insert("juridik-2".to_owned());
        assert_eq!(derive_unique("juridik", &taken), "juridik-3");
        let long = "a".repeat(CODE_MAX_CHARS);
        taken.insert(long.clone());
        let next = derive_unique(&long, &taken);
        assert_eq!(next.len(), CODE_MAX_CHARS);
        assert!(next.ends_with("-2"), "{next}");
    }
}
