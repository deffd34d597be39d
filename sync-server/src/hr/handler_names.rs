//! How documents for people (the *registerutdrag*, the disclosure material) name those who
//! handled a record: agency staff by their role in words ("rekryterare", never
//! `hr:rekryterare` or a username), the relay's own jobs by what they do, and tablets by the
//! name HR gave them beside their key's fingerprint ([`crate::hr::device_names`]), never by
//! a 64-character key. The names are read once, when the document's records are read, so
//! rendering needs no store.

use std::collections::HashMap;

use kiosk_core::language::Language;

use crate::hr::accounts::Role;
use crate::hr::device_names::tablet_label;
use crate::hr::error::{HrResult, StorageContext};
use crate::storage::{Accessor, RelayStore};

/// The names a document uses, read for the keys and users it mentions.
#[derive(Debug, Clone, Default)]
pub(crate) struct HandlerNames {
    /// Tablets by key: the name HR gave, if any.
    tablets: HashMap<[u8; 32], Option<String>>,
    /// HR users' roles by username.
    roles: HashMap<String, Vec<Role>>,
}

/// A key given in hex, if it is one.
fn key_of(hex_key: &str) -> Option<[u8; 32]> {
    hex::decode(hex_key)
        .ok()
        .and_then(|key| <[u8; 32]>::try_from(key).ok())
}

impl HandlerNames {
    /// Reads the roles of every HR user and the names of the tablets `keys` and `hex_keys`
    /// name. Blocking.
    pub(crate) fn read<'k>(
        store: &dyn RelayStore,
        keys: impl IntoIterator<Item = [u8; 32]>,
        hex_keys: impl IntoIterator<Item = &'k str>,
    ) -> HrResult<HandlerNames> {
        let roles = store
            .hr_directory()
            .context("reading the roles of the staff a document names")?
            .into_iter()
            .map(|entry| (entry.user.username, entry.user.roles))
            .collect();
        let mut tablets = HashMap::new();
        for key in keys
            .into_iter()
            .chain(hex_keys.into_iter().filter_map(key_of))
        {
            if tablets.contains_key(&key) {
                continue;
            }
            let name = store
                .device(&key)
                .context("reading the name of a tablet a document names")?
                .and_then(|device| device.name);
            tablets.insert(key, name);
        }
        Ok(HandlerNames { tablets, roles })
    }

    /// A tablet as a person reads of it: its name and fingerprint, or the fingerprint.
    pub(crate) fn tablet(&self, key: &[u8; 32]) -> String {
        tablet_label(self.tablets.get(key).and_then(Option::as_deref), key)
    }

    /// Whether HR gave the tablet with this key (in hex) a name.
    pub(crate) fn is_named_hex(&self, hex_key: &str) -> bool {
        key_of(hex_key)
            .and_then(|key| self.tablets.get(&key))
            .is_some_and(Option::is_some)
    }

    /// [`Self::tablet`] of a key in hex; something that is not a key is cut to 8 characters.
    pub(crate) fn tablet_hex(&self, hex_key: &str) -> String {
        match key_of(hex_key) {
            Some(key) => self.tablet(&key),
            None => hex_key.chars().take(8).collect(),
        }
    }

    /// An HR user by their roles in words ("rekryterare", "arkivarie och administratör");
    /// "handläggare" for a user the relay no longer knows.
    pub(crate) fn staff(&self, lang: Language, username: &str) -> String {
        let roles = self.roles.get(username).map(Vec::as_slice).unwrap_or(&[]);
        let words: Vec<&str> = roles.iter().map(|role| role_word(lang, *role)).collect();
        match (words.as_slice(), lang) {
            ([], Language::Swedish) => "handläggare".to_owned(),
            ([], Language::English) => "officer".to_owned(),
            (words, Language::Swedish) => join(words, "och"),
            (words, Language::English) => join(words, "and"),
        }
    }

    /// Who an access-log entry names, in words (see the module docs).
    pub(crate) fn accessor(&self, lang: Language, accessor: &Accessor) -> String {
        match accessor {
            Accessor::Operator(name) => self.operator(lang, name),
            Accessor::Visitor => crate::visitor_receipt::texts::visitor_accessor(lang).to_owned(),
            Accessor::Device {
                device_key,
                recruiter,
            } => {
                let (staff, kiosk) = match lang {
                    Language::Swedish => ("rekryterarens surfplatta", "surfplatta"),
                    Language::English => ("recruiter's tablet", "tablet"),
                };
                let kind = if recruiter.is_some() { staff } else { kiosk };
                let kind = capitalised(kind);
                format!("{kind} {}", self.tablet(device_key))
            }
        }
    }

    /// An operator's access-log name in words: `hr:<username>` by the user's roles, a
    /// retention run as scheduled retention, anything else as the relay's operation.
    pub(crate) fn operator(&self, lang: Language, name: &str) -> String {
        if let Some(username) = name.strip_prefix("hr:") {
            return capitalised(&self.staff(lang, username));
        }
        let (retention, operation) = match lang {
            Language::Swedish => ("Gallring enligt gallringsbeslut", "Driften av systemet"),
            Language::English => (
                "Removal under the retention decision",
                "The system's operation",
            ),
        };
        if name.starts_with("retention-run:") {
            retention.to_owned()
        } else {
            operation.to_owned()
        }
    }
}

fn role_word(lang: Language, role: Role) -> &'static str {
    let (sv, en) = match role {
        Role::Admin => ("administratör", "administrator"),
        Role::Recruiter => ("rekryterare", "recruiter"),
        Role::Archivist => ("arkivarie", "archivist"),
    };
    match lang {
        Language::Swedish => sv,
        Language::English => en,
    }
}

/// "a", "a och b", "a, b och c".
fn join(words: &[&str], and: &str) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} {and} {last}", rest.join(", ")),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> HandlerNames {
        HandlerNames {
            tablets: [
                ([1; 32], Some("Kiosk 1, Göteborg".to_owned())),
                ([2; 32], None),
            ]
            .into_iter()
            .collect(),
            roles: [
                ("rekryterare".to_owned(), vec![Role::Recruiter]),
                ("arvid".to_owned(), vec![Role::Archivist, Role::Admin]),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn staff_are_named_by_role_in_words_and_never_by_their_log_name() {
        let names = names();
        let sv = Language::Swedish;
        assert_eq!(names.operator(sv, "hr:rekryterare"), "Rekryterare");
        assert_eq!(
            names.operator(sv, "hr:arvid"),
            "Arkivarie och administratör"
        );
        assert_eq!(
            names.operator(Language::English, "hr:arvid"),
            "Archivist and administrator"
        );
        assert_eq!(names.operator(sv, "hr:gone"), "Handläggare");
        assert_eq!(
            names.operator(sv, "retention-run:4"),
            "Gallring enligt gallringsbeslut"
        );
        assert_eq!(names.operator(sv, "cli"), "Driften av systemet");
    }

    #[test]
    fn tablets_are_named_by_their_name_and_fingerprint() {
        let names = names();
        assert_eq!(names.tablet(&[1; 32]), "Kiosk 1, Göteborg (01010101)");
        assert_eq!(names.tablet_hex(&hex::encode([2; 32])), "02020202");
        assert!(names.is_named_hex(&hex::encode([1; 32])));
        assert!(!names.is_named_hex(&hex::encode([2; 32])) && !names.is_named_hex("zz"));
        let pulled = Accessor::Device {
            device_key: [1; 32],
            recruiter: Some("rekryterare".into()),
        };
        assert_eq!(
            names.accessor(Language::Swedish, &pulled),
            "Rekryterarens surfplatta Kiosk 1, Göteborg (01010101)"
        );
    }
}
