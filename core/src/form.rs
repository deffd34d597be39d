//! An event's form definition: which fields are asked, the fixed lists a visitor picks from,
//! the privacy and talent-pool notices, and the retention rule. Publishing freezes a form as a
//! version addressed by the hash of its canonical bytes.
//!
//! Name, interest areas and the privacy notice are always part of the form. Fields the design
//! forbids (personal identity number, address, photo, citizenship or migration status) have
//! no place here, so no event can turn them on.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::FormVersion;
use crate::language::Localized;

/// Domain tag hashed before a form's canonical bytes, so a form hash can never be mistaken
/// for the hash of anything else.
const FORM_VERSION_TAG: &[u8] = b"kiosk-form-v1\n";

/// Whether a field is on the form and whether the visitor must fill it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
pub enum FieldRequirement {
    #[serde(rename = "off")]
    #[autosurgeon(rename = "off")]
    Off,
    #[serde(rename = "optional")]
    #[autosurgeon(rename = "optional")]
    Optional,
    #[serde(rename = "required")]
    #[autosurgeon(rename = "required")]
    Required,
}

impl FieldRequirement {
    pub fn is_on(self) -> bool {
        self != FieldRequirement::Off
    }
}

/// The optional fields of a form. Email and phone are the contact channels: whatever their
/// settings, a registration needs at least one of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct FormFields {
    pub email: FieldRequirement,
    pub phone: FieldRequirement,
    pub locations: FieldRequirement,
    pub education_level: FieldRequirement,
    /// Free text is off unless an event turns it on (minimal data).
    pub free_text: FieldRequirement,
}

/// One entry of a fixed list (interest area, location, education level).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Choice {
    /// Stable code stored in registrations (`migration-officer`); labels may be reworded.
    pub code: String,
    pub label: Localized,
}

impl Choice {
    pub fn new(code: &str, sv: &str, en: &str) -> Choice {
        Choice {
            code: code.to_owned(),
            label: Localized::new(sv, en),
        }
    }
}

/// How long registrations captured with this form are kept before *gallring*, and the
/// decision that allows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct RetentionRule {
    pub months_after_capture: u16,
    /// The retention decision the rule rests on, e.g. its registration number.
    pub decision: String,
}

/// Limits that hold for every form, whatever an event configures.
pub mod limits {
    /// Most interest areas a form may let a visitor pick.
    pub const MAX_INTERESTS_CEILING: u8 = 10;
    /// Longest name part, in Unicode scalar values after normalisation.
    pub const NAME_MAX_CHARS: usize = 100;
    /// Longest email address (RFC 5321 path limit).
    pub const EMAIL_MAX_CHARS: usize = 254;
    /// Longest free text.
    pub const FREE_TEXT_MAX_CHARS: usize = 1000;
    /// Longest raw phone input before normalisation.
    pub const PHONE_INPUT_MAX_CHARS: usize = 32;
    /// Longest retention a rule may set: ten years.
    pub const RETENTION_MAX_MONTHS: u16 = 120;
}

/// What a visitor is asked, in both languages, and what happens to their answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct FormDefinition {
    pub fields: FormFields,
    pub interest_areas: Vec<Choice>,
    /// How many interest areas a visitor may pick (at least one is always required).
    pub max_interests: u8,
    pub locations: Vec<Choice>,
    pub education_levels: Vec<Choice>,
    /// The privacy notice every visitor acknowledges (processing as a public task).
    pub privacy_notice: Localized,
    /// The separate, unticked talent-pool opt-in's text.
    pub talent_pool_notice: Localized,
    pub retention: RetentionRule,
}

/// Why a form definition cannot be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormDefinitionError {
    #[error("the form has no interest areas")]
    NoInterestAreas,
    #[error(
        "max_interests must be between 1 and {}",
        limits::MAX_INTERESTS_CEILING
    )]
    MaxInterestsOutOfRange,
    #[error("neither email nor phone is on the form, so no visitor could be contacted")]
    NoContactChannel,
    #[error("locations are on the form but its list is empty")]
    LocationsOnWithoutList,
    #[error("education level is on the form but its list is empty")]
    EducationOnWithoutList,
    #[error("choice code {code:?} is not a lowercase slug")]
    InvalidChoiceCode { code: String },
    #[error("choice code {code:?} appears twice in one list")]
    DuplicateChoiceCode { code: String },
    #[error("choice {code:?} lacks a Swedish or English label")]
    MissingChoiceLabel { code: String },
    #[error("the {notice} lacks its Swedish or English text")]
    MissingNoticeText { notice: &'static str },
    #[error(
        "the retention rule must keep records 1 to {} months and cite its decision",
        limits::RETENTION_MAX_MONTHS
    )]
    InvalidRetentionRule,
}

impl FormDefinition {
    /// The version this form would be published as: the SHA-256 of its canonical bytes.
    pub fn version(&self) -> FormVersion {
        let mut hasher = Sha256::new();
        hasher.update(FORM_VERSION_TAG);
        hasher.update(self.canonical_bytes());
        FormVersion::from_digest(&hasher.finalize())
    }

    /// The bytes a version hashes: JSON with fields in declaration order and lists in their
    /// given order. A golden test pins the demo form's version, so any change to this
    /// encoding is seen before it ships.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a form definition always serialises")
    }

    /// Checks that the form can be shown and answered in both languages.
    pub fn check(&self) -> Result<(), FormDefinitionError> {
        if self.interest_areas.is_empty() {
            return Err(FormDefinitionError::NoInterestAreas);
        }
        if !(1..=limits::MAX_INTERESTS_CEILING).contains(&self.max_interests) {
            return Err(FormDefinitionError::MaxInterestsOutOfRange);
        }
        if !self.fields.email.is_on() && !self.fields.phone.is_on() {
            return Err(FormDefinitionError::NoContactChannel);
        }
        if self.fields.locations.is_on() && self.locations.is_empty() {
            return Err(FormDefinitionError::LocationsOnWithoutList);
        }
        if self.fields.education_level.is_on() && self.education_levels.is_empty() {
            return Err(FormDefinitionError::EducationOnWithoutList);
        }
        for list in [
            &self.interest_areas,
            &self.locations,
            &self.education_levels,
        ] {
            check_choice_list(list)?;
        }
        if self.privacy_notice.has_blank() {
            return Err(FormDefinitionError::MissingNoticeText {
                notice: "privacy notice",
            });
        }
        if self.talent_pool_notice.has_blank() {
            return Err(FormDefinitionError::MissingNoticeText {
                notice: "talent-pool notice",
            });
        }
        let months_ok =
            (1..=limits::RETENTION_MAX_MONTHS).contains(&self.retention.months_after_capture);
        if !months_ok || self.retention.decision.trim().is_empty() {
            return Err(FormDefinitionError::InvalidRetentionRule);
        }
        Ok(())
    }

    pub fn interest_area(&self, code: &str) -> Option<&Choice> {
        self.interest_areas.iter().find(|c| c.code == code)
    }

    pub fn location(&self, code: &str) -> Option<&Choice> {
        self.locations.iter().find(|c| c.code == code)
    }

    pub fn education_level(&self, code: &str) -> Option<&Choice> {
        self.education_levels.iter().find(|c| c.code == code)
    }
}

fn check_choice_list(list: &[Choice]) -> Result<(), FormDefinitionError> {
    let mut seen = std::collections::BTreeSet::new();
    for choice in list {
        let code = &choice.code;
        let slug = (1..=48).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !slug {
            return Err(FormDefinitionError::InvalidChoiceCode { code: code.clone() });
        }
        if !seen.insert(code.as_str()) {
            return Err(FormDefinitionError::DuplicateChoiceCode { code: code.clone() });
        }
        if choice.label.has_blank() {
            return Err(FormDefinitionError::MissingChoiceLabel { code: code.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;

    #[test]
    fn demo_form_passes_its_checks() {
        assert_eq!(demo::demo_form().check(), Ok(()));
    }

    #[test]
    fn any_change_to_a_form_changes_its_version() {
        let form = demo::demo_form();
        let mut reworded = form.clone();
        reworded.privacy_notice.en.push_str(" Updated.");
        let mut reordered = form.clone();
        reordered.interest_areas.swap(0, 1);
        let versions = [form.version(), reworded.version(), reordered.version()];
        assert_ne!(versions[0], versions[1]);
        assert_ne!(versions[0], versions[2]);
        assert_eq!(form.version(), form.clone().version());
    }

    #[test]
    fn forms_that_cannot_be_answered_are_refused() {
        let base = demo::demo_form();
        let mut no_contact = base.clone();
        no_contact.fields.email = FieldRequirement::Off;
        no_contact.fields.phone = FieldRequirement::Off;
        assert_eq!(
            no_contact.check(),
            Err(FormDefinitionError::NoContactChannel)
        );

        let mut duplicate = base.clone();
        duplicate.locations.push(duplicate.locations[0].clone());
        assert!(matches!(
            duplicate.check(),
            Err(FormDefinitionError::DuplicateChoiceCode { .. })
        ));

        let mut unlabelled = base.clone();
        unlabelled.interest_areas[0].label.en = " ".into();
        assert!(matches!(
            unlabelled.check(),
            Err(FormDefinitionError::MissingChoiceLabel { .. })
        ));

        let mut no_decision = base.clone();
        no_decision.retention.decision.clear();
        assert_eq!(
            no_decision.check(),
            Err(FormDefinitionError::InvalidRetentionRule)
        );

        let mut too_many = base;
        too_many.max_interests = limits::MAX_INTERESTS_CEILING + 1;
        assert_eq!(
            too_many.check(),
            Err(FormDefinitionError::MaxInterestsOutOfRange)
        );
    }
}

#[cfg(test)]
mod golden {
    use crate::demo;

    /// Pins the canonical encoding: if this fails, stored registrations would cite versions
    /// that no longer hash to their forms. Change the encoding only with a new version tag.
    #[test]
    fn the_demo_form_version_is_stable() {
        assert_eq!(
            demo::demo_form().version().as_str(),
            "8fef5d7d9458494f21054756f7defceece509376d18dcb023855532b473c48cb"
        );
    }
}
