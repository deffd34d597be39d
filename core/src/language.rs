//! The languages a visitor can use, and texts that exist in each of them.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// A language the kiosk offers. Every user-facing text exists in each of them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
pub enum Language {
    /// Swedish (svenska).
    #[serde(rename = "sv")]
    #[autosurgeon(rename = "sv")]
    Swedish,
    /// English.
    #[serde(rename = "en")]
    #[autosurgeon(rename = "en")]
    English,
}

impl Language {
    /// Every language, Swedish first as the agency's working language.
    pub const ALL: [Language; 2] = [Language::Swedish, Language::English];

    /// The BCP 47 tag (`sv`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Language::Swedish => "sv",
            Language::English => "en",
        }
    }

    /// Parses a BCP 47 tag such as `sv`, `sv-SE`, `en` or `en-GB`.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "sv" => Some(Language::Swedish),
            "en" => Some(Language::English),
            _ => None,
        }
    }
}

/// A text in Swedish and English.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Localized {
    pub sv: String,
    pub en: String,
}

impl Localized {
    pub fn new(sv: impl Into<String>, en: impl Into<String>) -> Localized {
        Localized {
            sv: sv.into(),
            en: en.into(),
        }
    }

    /// The text in `language`.
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Swedish => &self.sv,
            Language::English => &self.en,
        }
    }

    /// True when either language's text is empty after trimming.
    pub fn has_blank(&self) -> bool {
        self.sv.trim().is_empty() || self.en.trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_regional_variants_are_accepted() {
        for language in Language::ALL {
            assert_eq!(Language::from_tag(language.tag()), Some(language));
        }
        assert_eq!(Language::from_tag("sv-SE"), Some(Language::Swedish));
        assert_eq!(Language::from_tag("EN_gb"), Some(Language::English));
        assert_eq!(Language::from_tag("fi"), None);
        assert_eq!(Language::from_tag(""), None);
    }
}
