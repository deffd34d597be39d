//! Validation errors: which field, why, and the words a shell shows in Swedish or English.
//!
//! Errors never carry what the visitor typed, only the field and the rule it broke, so they
//! can be logged and sent over the ffi without leaking personal data.

use std::fmt;

use serde::Serialize;

use crate::language::Language;

/// A field of the registration form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    GivenName,
    FamilyName,
    Email,
    Phone,
    /// Email and phone together: at least one is needed.
    ContactChannel,
    Interests,
    Locations,
    EducationLevel,
    FreeText,
    PrivacyNotice,
    TalentPool,
    Language,
    FormVersion,
    Event,
    /// The enrollment code staff type on a tablet (not a visitor's field).
    EnrollmentCode,
    /// A sync setting the shell passed (not a visitor's field).
    SyncSetting,
    /// The root certificates a tablet trusts for its relay (not a visitor's field).
    TrustedRoots,
    /// The relay's address a tablet enrolls with (not a visitor's field).
    RelayAddress,
}

impl Field {
    /// The fields a visitor fills in, in form order: what a shell labels.
    pub const VISITOR_FIELDS: [Field; 12] = [
        Field::Language,
        Field::GivenName,
        Field::FamilyName,
        Field::Email,
        Field::Phone,
        Field::ContactChannel,
        Field::Interests,
        Field::Locations,
        Field::EducationLevel,
        Field::FreeText,
        Field::PrivacyNotice,
        Field::TalentPool,
    ];

    /// A stable machine-readable name (`given_name`).
    pub fn code(self) -> &'static str {
        match self {
            Field::GivenName => "given_name",
            Field::FamilyName => "family_name",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::ContactChannel => "contact_channel",
            Field::Interests => "interests",
            Field::Locations => "locations",
            Field::EducationLevel => "education_level",
            Field::FreeText => "free_text",
            Field::PrivacyNotice => "privacy_notice",
            Field::TalentPool => "talent_pool",
            Field::Language => "language",
            Field::FormVersion => "form_version",
            Field::Event => "event",
            Field::EnrollmentCode => "enrollment_code",
            Field::SyncSetting => "sync_setting",
            Field::TrustedRoots => "trusted_roots",
            Field::RelayAddress => "relay_address",
        }
    }

    /// The field's label as the form shows it.
    pub fn label(self, language: Language) -> &'static str {
        let (sv, en) = match self {
            Field::GivenName => ("Förnamn", "First name"),
            Field::FamilyName => ("Efternamn", "Last name"),
            Field::Email => ("E-post", "Email"),
            Field::Phone => ("Telefon", "Phone"),
            Field::ContactChannel => ("Kontaktuppgift", "Contact details"),
            Field::Interests => ("Intresseområden", "Areas of interest"),
            Field::Locations => ("Orter", "Locations"),
            Field::EducationLevel => ("Utbildningsnivå", "Level of education"),
            Field::FreeText => ("Övrigt", "Other information"),
            Field::PrivacyNotice => ("Information om personuppgifter", "Privacy notice"),
            Field::TalentPool => ("Talangpool", "Talent pool"),
            Field::Language => ("Språk", "Language"),
            Field::FormVersion => ("Formulärversion", "Form version"),
            Field::Event => ("Evenemang", "Event"),
            Field::EnrollmentCode => ("Registreringskod", "Enrollment code"),
            Field::SyncSetting => ("Synkinställning", "Sync setting"),
            Field::TrustedRoots => ("Betrodda rotcertifikat", "Trusted root certificates"),
            Field::RelayAddress => ("Serverns adress", "Server address"),
        };
        match language {
            Language::Swedish => sv,
            Language::English => en,
        }
    }
}

/// Why a field's value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Reason {
    /// The field must be filled in.
    Required,
    /// Longer than `max` characters (or choices).
    TooLong { max: usize },
    /// A name with no letter in it.
    NoLetters,
    /// Characters a value of this kind cannot contain (digits in a name, letters in a phone
    /// number, control or invisible formatting characters).
    InvalidCharacters,
    /// Not an email address (`namn@exempel.se`).
    InvalidEmail,
    /// Too few or too many digits for a phone number.
    PhoneWrongLength,
    /// A number without an area code starting with 0 or a country code starting with +.
    PhoneNeedsPrefix,
    /// This form does not ask for this field (or not on the protected-data path).
    NotOffered,
    /// A value that is not on the event's list.
    UnknownChoice,
    /// The same choice picked twice.
    DuplicateChoice,
    /// More choices than the form allows.
    TooManyChoices { max: usize },
    /// With protected personal data, give exactly one way to be contacted.
    OneChannelOnly,
    /// The privacy notice must be acknowledged.
    NotAcknowledged,
    /// The registration cites a form version the event never published.
    UnknownFormVersion,
    /// The event does not offer this language.
    LanguageNotOffered,
    /// The registration names another event than the one it is validated against.
    WrongEvent,
    /// Not in the shape of a code HR gives.
    NotACode,
    /// A number outside what the setting allows.
    OutOfRange { min: u64, max: u64 },
    /// Not in a format that can be read (a certificate file, say).
    Unreadable,
}

impl Reason {
    /// A stable machine-readable name (`too_long`).
    pub fn code(self) -> &'static str {
        match self {
            Reason::Required => "required",
            Reason::TooLong { .. } => "too_long",
            Reason::NoLetters => "no_letters",
            Reason::InvalidCharacters => "invalid_characters",
            Reason::InvalidEmail => "invalid_email",
            Reason::PhoneWrongLength => "phone_wrong_length",
            Reason::PhoneNeedsPrefix => "phone_needs_prefix",
            Reason::NotOffered => "not_offered",
            Reason::UnknownChoice => "unknown_choice",
            Reason::DuplicateChoice => "duplicate_choice",
            Reason::TooManyChoices { .. } => "too_many_choices",
            Reason::OneChannelOnly => "one_channel_only",
            Reason::NotAcknowledged => "not_acknowledged",
            Reason::UnknownFormVersion => "unknown_form_version",
            Reason::LanguageNotOffered => "language_not_offered",
            Reason::WrongEvent => "wrong_event",
            Reason::NotACode => "not_a_code",
            Reason::OutOfRange { .. } => "out_of_range",
            Reason::Unreadable => "unreadable",
        }
    }

    /// What the visitor should do, in their language.
    pub fn explain(self, language: Language) -> String {
        let sv = language == Language::Swedish;
        match self {
            Reason::Required if sv => "Fältet måste fyllas i.".into(),
            Reason::Required => "This field is required.".into(),
            Reason::TooLong { max } if sv => format!("Får vara högst {max} tecken."),
            Reason::TooLong { max } => format!("Use at most {max} characters."),
            Reason::NoLetters if sv => "Skriv minst en bokstav.".into(),
            Reason::NoLetters => "Use at least one letter.".into(),
            Reason::InvalidCharacters if sv => "Innehåller tecken som inte är tillåtna.".into(),
            Reason::InvalidCharacters => "Contains characters that are not allowed.".into(),
            Reason::InvalidEmail if sv => {
                "Skriv en e-postadress, till exempel namn@exempel.se.".into()
            }
            Reason::InvalidEmail => "Enter an email address, for example name@example.com.".into(),
            Reason::PhoneWrongLength if sv => "Telefonnumret har fel antal siffror.".into(),
            Reason::PhoneWrongLength => "The phone number has the wrong number of digits.".into(),
            Reason::PhoneNeedsPrefix if sv => {
                "Börja med riktnummer (0…) eller landsnummer (+…).".into()
            }
            Reason::PhoneNeedsPrefix => {
                "Start with an area code (0…) or a country code (+…).".into()
            }
            Reason::NotOffered if sv => "Det här fältet ingår inte i formuläret.".into(),
            Reason::NotOffered => "This form does not ask for this.".into(),
            Reason::UnknownChoice if sv => "Välj ett alternativ från listan.".into(),
            Reason::UnknownChoice => "Choose an option from the list.".into(),
            Reason::DuplicateChoice if sv => "Samma alternativ är valt två gånger.".into(),
            Reason::DuplicateChoice => "The same option is chosen twice.".into(),
            Reason::TooManyChoices { max } if sv => format!("Välj högst {max}."),
            Reason::TooManyChoices { max } => format!("Choose at most {max}."),
            Reason::OneChannelOnly if sv => {
                "Med skyddade personuppgifter anger du bara ett sätt att nå dig.".into()
            }
            Reason::OneChannelOnly => {
                "With protected personal data, give only one way to reach you.".into()
            }
            Reason::NotAcknowledged if sv => "Bekräfta att du har läst informationen.".into(),
            Reason::NotAcknowledged => "Confirm that you have read the notice.".into(),
            Reason::UnknownFormVersion if sv => {
                "Formuläret är inte längre giltigt. Be personalen om hjälp.".into()
            }
            Reason::UnknownFormVersion => {
                "This form is no longer valid. Ask staff for help.".into()
            }
            Reason::LanguageNotOffered if sv => "Språket erbjuds inte här.".into(),
            Reason::LanguageNotOffered => "This language is not offered here.".into(),
            Reason::WrongEvent if sv => "Anmälan hör till ett annat evenemang.".into(),
            Reason::WrongEvent => "The registration belongs to another event.".into(),
            Reason::NotACode if sv => "Koden känns inte igen. Kontrollera den mot HR:s.".into(),
            Reason::NotACode => "The code is not recognised. Check it against HR's.".into(),
            Reason::OutOfRange { min, max } if sv => {
                format!("Ange ett värde från {min} till {max}.")
            }
            Reason::OutOfRange { min, max } => format!("Give a value from {min} to {max}."),
            Reason::Unreadable if sv => "Kunde inte läsas. Kontrollera filen.".into(),
            Reason::Unreadable => "Could not be read. Check the file.".into(),
        }
    }
}

/// One refused field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct FieldError {
    pub field: Field,
    #[serde(flatten)]
    pub reason: Reason,
}

impl FieldError {
    pub fn new(field: Field, reason: Reason) -> FieldError {
        FieldError { field, reason }
    }

    /// The field's label and what to do, e.g. `Telefon: Telefonnumret har fel antal siffror.`
    pub fn message(&self, language: Language) -> String {
        format!(
            "{}: {}",
            self.field.label(language),
            self.reason.explain(language)
        )
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field.code(), self.reason.code())
    }
}

/// Every refused field of one submission, in form order, so a shell can mark them all at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{} field(s) refused: {}", .errors.len(), list(.errors))]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl ValidationErrors {
    /// The error for `field`, if it was refused.
    pub fn for_field(&self, field: Field) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == field)
    }

    pub fn fields(&self) -> Vec<Field> {
        self.errors.iter().map(|e| e.field).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_in_both_languages_without_placeholders() {
        let reasons = [
            Reason::Required,
            Reason::TooLong { max: 100 },
            Reason::NoLetters,
            Reason::InvalidCharacters,
            Reason::InvalidEmail,
            Reason::PhoneWrongLength,
            Reason::PhoneNeedsPrefix,
            Reason::NotOffered,
            Reason::UnknownChoice,
            Reason::DuplicateChoice,
            Reason::TooManyChoices { max: 5 },
            Reason::OneChannelOnly,
            Reason::NotAcknowledged,
            Reason::UnknownFormVersion,
            Reason::LanguageNotOffered,
            Reason::WrongEvent,
        ];
        for reason in reasons {
            let sv = reason.explain(Language::Swedish);
            let en = reason.explain(Language::English);
            assert_ne!(sv, en, "{} must be translated", reason.code());
            assert!(sv.ends_with('.') && en.ends_with('.'));
            assert!(!sv.contains('{') && !en.contains('{'));
        }
        let error = FieldError::new(Field::GivenName, Reason::TooLong { max: 100 });
        assert_eq!(
            error.message(Language::Swedish),
            "Förnamn: Får vara högst 100 tecken."
        );
        assert_eq!(
            error.message(Language::English),
            "First name: Use at most 100 characters."
        );
        assert_eq!(error.to_string(), "given_name: too_long");
    }
}
