//! Validation of what a visitor typed against the form version they were shown.
//!
//! [`validate`] turns a [`RegistrationInput`] into a [`Registration`], or returns every
//! refused field at once. It looks the form up by the version the capture cites, never by
//! what the event says today, so a kiosk that has not yet seen a newer form still captures
//! against the one it showed.
//!
//! The protected-personal-data path asks for less: the name, exactly one contact channel of
//! the visitor's choice, and interest areas. Locations become optional; education level,
//! free text and the talent-pool opt-in are not offered (the record stays out of lists and
//! automatic emails, so a talent pool would contradict it).

mod email;
mod errors;
mod name;
mod phone;

use std::collections::BTreeSet;

pub use email::normalize_email;
pub use errors::{Field, FieldError, Reason, ValidationErrors};
pub use name::normalize_name;
pub use phone::normalize_phone;

use crate::event::Event;
use crate::form::{Choice, FieldRequirement, limits};
use crate::ids::{DeviceId, EventId, FormVersion, RegistrationId, Timestamp};
use crate::language::Language;
use crate::registration::{Consents, NoticeAcknowledgement, Person, Registration, TalentPoolOptIn};

/// What the visitor entered, as the form hands it over. Empty strings mean "not given".
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RegistrationInput {
    pub language: Option<Language>,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    /// Interest-area codes, in the order picked.
    pub interests: Vec<String>,
    pub locations: Vec<String>,
    pub education_level: String,
    pub free_text: String,
    pub privacy_notice_acknowledged: bool,
    /// Unticked unless the visitor ticks it.
    pub talent_pool_opt_in: bool,
    /// "I have protected personal data" (skyddade personuppgifter).
    pub protected_personal_data: bool,
}

/// What the capturing device adds: who, when, for which event and form version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureContext {
    pub registration_id: RegistrationId,
    pub event_id: EventId,
    pub form_version: FormVersion,
    pub captured_at: Timestamp,
    pub device: DeviceId,
}

/// Validates `input` against the form version `context` cites in `event`.
pub fn validate(
    input: &RegistrationInput,
    event: &Event,
    context: &CaptureContext,
) -> Result<Registration, ValidationErrors> {
    let refuse = |field, reason| ValidationErrors {
        errors: vec![FieldError::new(field, reason)],
    };
    if context.event_id != event.id {
        return Err(refuse(Field::Event, Reason::WrongEvent));
    }
    let Some(published) = event.published_form(&context.form_version) else {
        return Err(refuse(Field::FormVersion, Reason::UnknownFormVersion));
    };
    let form = &published.form;
    let mut check = Checker::default();
    let protected = input.protected_personal_data;

    let language = match input.language {
        Some(language) if event.languages.contains(&language) => Some(language),
        Some(_) => check.refuse(Field::Language, Reason::LanguageNotOffered),
        None => check.refuse(Field::Language, Reason::Required),
    };
    let given_name = check.field(Field::GivenName, normalize_name(&input.given_name));
    let family_name = check.field(Field::FamilyName, normalize_name(&input.family_name));
    let email = check.optional_text(
        Field::Email,
        &input.email,
        requirement(form.fields.email, protected),
        normalize_email,
    );
    let phone = check.optional_text(
        Field::Phone,
        &input.phone,
        requirement(form.fields.phone, protected),
        normalize_phone,
    );
    check_contact_channels(&mut check, input, protected);

    let interests = check.choices(
        Field::Interests,
        &input.interests,
        &form.interest_areas,
        FieldRequirement::Required,
        usize::from(form.max_interests),
    );
    let locations = check.choices(
        Field::Locations,
        &input.locations,
        &form.locations,
        requirement(form.fields.locations, protected),
        form.locations.len(),
    );
    let education_level = check.optional_text(
        Field::EducationLevel,
        &input.education_level,
        not_on_protected_path(form.fields.education_level, protected),
        |code| single_choice(code, &form.education_levels),
    );
    let free_text = check.optional_text(
        Field::FreeText,
        &input.free_text,
        not_on_protected_path(form.fields.free_text, protected),
        normalize_free_text,
    );
    if !input.privacy_notice_acknowledged {
        check.refuse::<()>(Field::PrivacyNotice, Reason::NotAcknowledged);
    }
    if input.talent_pool_opt_in && protected {
        check.refuse::<()>(Field::TalentPool, Reason::NotOffered);
    }

    if !check.errors.is_empty() {
        return Err(ValidationErrors {
            errors: check.errors,
        });
    }
    let (Some(language), Some(given_name), Some(family_name)) = (language, given_name, family_name)
    else {
        unreachable!("a missing value always records an error");
    };
    Ok(Registration {
        id: context.registration_id.clone(),
        event_id: context.event_id.clone(),
        form_version: context.form_version.clone(),
        captured_at: context.captured_at,
        capturing_device: context.device.clone(),
        language,
        person: Person {
            given_name,
            family_name,
            email: email.flatten(),
            phone: phone.flatten(),
        },
        interests: interests.unwrap_or_default(),
        locations: locations.unwrap_or_default(),
        education_level: education_level.flatten(),
        free_text: free_text.flatten(),
        consents: consents(context, language, input.talent_pool_opt_in),
        restricted: protected,
    })
}

fn consents(context: &CaptureContext, language: Language, talent_pool_opt_in: bool) -> Consents {
    // The form version hashes both notices, so it is also their version.
    let notice_version = context.form_version.clone();
    Consents {
        privacy_notice: NoticeAcknowledgement {
            notice_version: notice_version.clone(),
            language,
            at: context.captured_at,
        },
        talent_pool: talent_pool_opt_in.then_some(TalentPoolOptIn {
            notice_version,
            language,
            at: context.captured_at,
        }),
    }
}

/// Why a registration read from a document is not what validation would make of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevalidationError {
    #[error("the registration fails its form: {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("the registration is not in the normal form validation gives")]
    NotNormalised,
}

/// Validates a registration someone else captured against the form version it cites, as
/// the relay must before it accepts it: the visitor's answers are validated again, and the
/// result must be exactly the registration received.
pub fn revalidate(registration: &Registration, event: &Event) -> Result<(), RevalidationError> {
    let person = &registration.person;
    let input = RegistrationInput {
        language: Some(registration.language),
        given_name: person.given_name.clone(),
        family_name: person.family_name.clone(),
        email: person.email.clone().unwrap_or_default(),
        phone: person.phone.clone().unwrap_or_default(),
        interests: registration.interests.clone(),
        locations: registration.locations.clone(),
        education_level: registration.education_level.clone().unwrap_or_default(),
        free_text: registration.free_text.clone().unwrap_or_default(),
        privacy_notice_acknowledged: true,
        talent_pool_opt_in: registration.consents.talent_pool.is_some(),
        protected_personal_data: registration.restricted,
    };
    let context = CaptureContext {
        registration_id: registration.id.clone(),
        event_id: registration.event_id.clone(),
        form_version: registration.form_version.clone(),
        captured_at: registration.captured_at,
        device: registration.capturing_device.clone(),
    };
    let again = validate(&input, event, &context)?;
    if &again != registration {
        return Err(RevalidationError::NotNormalised);
    }
    Ok(())
}

/// On the protected path a required contact field or location becomes optional: the
/// visitor picks one channel, and says no more than they must.
fn requirement(configured: FieldRequirement, protected: bool) -> FieldRequirement {
    match configured {
        FieldRequirement::Required if protected => FieldRequirement::Optional,
        other => other,
    }
}

fn not_on_protected_path(configured: FieldRequirement, protected: bool) -> FieldRequirement {
    if protected {
        FieldRequirement::Off
    } else {
        configured
    }
}

fn check_contact_channels(check: &mut Checker, input: &RegistrationInput, protected: bool) {
    let email_given = !input.email.trim().is_empty();
    let phone_given = !input.phone.trim().is_empty();
    if !email_given && !phone_given && !check.has(Field::Email) && !check.has(Field::Phone) {
        check.refuse::<()>(Field::ContactChannel, Reason::Required);
    }
    if protected && email_given && phone_given {
        check.refuse::<()>(Field::ContactChannel, Reason::OneChannelOnly);
    }
}

fn single_choice(code: &str, list: &[Choice]) -> Result<String, Reason> {
    let code = code.trim();
    if list.iter().any(|c| c.code == code) {
        Ok(code.to_owned())
    } else {
        Err(Reason::UnknownChoice)
    }
}

fn normalize_free_text(raw: &str) -> Result<String, Reason> {
    use unicode_normalization::UnicodeNormalization;
    let text: String = raw.trim().nfc().collect();
    if text.chars().count() > limits::FREE_TEXT_MAX_CHARS {
        return Err(Reason::TooLong {
            max: limits::FREE_TEXT_MAX_CHARS,
        });
    }
    let hidden = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if text.chars().any(hidden) {
        return Err(Reason::InvalidCharacters);
    }
    Ok(text)
}

/// Collects field errors while the rest of the form is still checked.
#[derive(Default)]
struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn refuse<T>(&mut self, field: Field, reason: Reason) -> Option<T> {
        self.errors.push(FieldError::new(field, reason));
        None
    }

    fn has(&self, field: Field) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    fn field<T>(&mut self, field: Field, result: Result<T, Reason>) -> Option<T> {
        result.map_or_else(|reason| self.refuse(field, reason), Some)
    }

    /// A single-valued field that may be off, optional or required. `Some(None)` is a
    /// field rightly left empty.
    fn optional_text(
        &mut self,
        field: Field,
        raw: &str,
        requirement: FieldRequirement,
        normalize: impl Fn(&str) -> Result<String, Reason>,
    ) -> Option<Option<String>> {
        let given = !raw.trim().is_empty();
        match (requirement, given) {
            (FieldRequirement::Off, true) => self.refuse(field, Reason::NotOffered),
            (FieldRequirement::Required, false) => self.refuse(field, Reason::Required),
            (_, false) => Some(None),
            (_, true) => self.field(field, normalize(raw)).map(Some),
        }
    }

    /// Codes picked from `list`: each known, none twice, at most `max`.
    fn choices(
        &mut self,
        field: Field,
        picked: &[String],
        list: &[Choice],
        requirement: FieldRequirement,
        max: usize,
    ) -> Option<Vec<String>> {
        match (requirement, picked.is_empty()) {
            (FieldRequirement::Off, false) => return self.refuse(field, Reason::NotOffered),
            (FieldRequirement::Required, true) => return self.refuse(field, Reason::Required),
            (_, true) => return Some(Vec::new()),
            (_, false) => {}
        }
        if picked.len() > max {
            return self.refuse(field, Reason::TooManyChoices { max });
        }
        let mut seen = BTreeSet::new();
        for code in picked {
            if !list.iter().any(|c| &c.code == code) {
                return self.refuse(field, Reason::UnknownChoice);
            }
            if !seen.insert(code) {
                return self.refuse(field, Reason::DuplicateChoice);
            }
        }
        Some(picked.to_vec())
    }
}

/// Shows the shape of the input, never what was typed, so a stray `{:?}` in a log or panic
/// message cannot leak a visitor's details.
impl std::fmt::Debug for RegistrationInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |text: &str| {
            if text.trim().is_empty() {
                "empty"
            } else {
                "given"
            }
        };
        f.debug_struct("RegistrationInput")
            .field("language", &self.language)
            .field("given_name", &given(&self.given_name))
            .field("family_name", &given(&self.family_name))
            .field("email", &given(&self.email))
            .field("phone", &given(&self.phone))
            .field("interests", &self.interests.len())
            .field("locations", &self.locations.len())
            .field("education_level", &given(&self.education_level))
            .field("free_text", &given(&self.free_text))
            .field(
                "privacy_notice_acknowledged",
                &self.privacy_notice_acknowledged,
            )
            .field("talent_pool_opt_in", &self.talent_pool_opt_in)
            .field("protected_personal_data", &self.protected_personal_data)
            .finish()
    }
}

impl RegistrationInput {
    /// Overwrites everything the visitor typed and empties the input, so the next visitor's
    /// session cannot see it, not even in freed memory.
    pub fn wipe(&mut self) {
        use zeroize::Zeroize;
        self.given_name.zeroize();
        self.family_name.zeroize();
        self.email.zeroize();
        self.phone.zeroize();
        self.interests.iter_mut().for_each(Zeroize::zeroize);
        self.interests.clear();
        self.locations.iter_mut().for_each(Zeroize::zeroize);
        self.locations.clear();
        self.education_level.zeroize();
        self.free_text.zeroize();
        *self = RegistrationInput::default();
    }
}

#[cfg(test)]
mod tests;
