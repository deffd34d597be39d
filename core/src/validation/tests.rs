use proptest::prelude::*;

use super::*;
use crate::demo::demo_event;
use crate::event::Event;

fn key(seed: u8) -> ed25519_dalek::VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key()
}

fn context_for(event: &Event) -> CaptureContext {
    let captured_at = Timestamp(1_773_310_000_000);
    CaptureContext {
        registration_id: RegistrationId::from_parts(captured_at, [1; 10]),
        event_id: event.id.clone(),
        form_version: event.current_version.clone().expect("published"),
        captured_at,
        device: DeviceId::from_public_key(&key(3)),
    }
}

fn valid_input() -> RegistrationInput {
    RegistrationInput {
        language: Some(Language::Swedish),
        given_name: " Åsa ".into(),
        family_name: "Lind-Öberg".into(),
        email: "Asa.Lind@Example.SE".into(),
        phone: "070-123 45 67".into(),
        interests: vec!["migration-officer".into(), "law".into()],
        locations: vec!["norrkoping".into()],
        education_level: "master".into(),
        free_text: String::new(),
        privacy_notice_acknowledged: true,
        talent_pool_opt_in: false,
        protected_personal_data: false,
    }
}

fn refused(input: &RegistrationInput) -> Vec<FieldError> {
    let event = demo_event();
    validate(input, &event, &context_for(&event))
        .expect_err("input should be refused")
        .errors
}

#[test]
fn a_valid_submission_is_normalised() {
    let event = demo_event();
    let context = context_for(&event);
    let registration = validate(&valid_input(), &event, &context).expect("valid");
    assert_eq!(registration.person.given_name, "Åsa");
    assert_eq!(
        registration.person.email.as_deref(),
        Some("Asa.Lind@example.se")
    );
    assert_eq!(registration.person.phone.as_deref(), Some("+46701234567"));
    assert_eq!(registration.form_version, context.form_version);
    assert_eq!(
        registration.consents.privacy_notice.notice_version,
        context.form_version
    );
    assert_eq!(
        registration.consents.talent_pool, None,
        "the opt-in is unticked by default"
    );
    assert!(!registration.restricted);
    assert_eq!(registration.education_level.as_deref(), Some("master"));
}

#[test]
fn each_invalid_field_is_named_with_its_reason() {
    type Spoil = fn(&mut RegistrationInput);
    let cases: Vec<(Spoil, FieldError)> = vec![
        (
            |i| i.given_name = String::new(),
            FieldError::new(Field::GivenName, Reason::Required),
        ),
        (
            |i| i.family_name = "B0nd".into(),
            FieldError::new(Field::FamilyName, Reason::InvalidCharacters),
        ),
        (
            |i| i.email = "asa@".into(),
            FieldError::new(Field::Email, Reason::InvalidEmail),
        ),
        (
            |i| i.phone = "12345".into(),
            FieldError::new(Field::Phone, Reason::PhoneNeedsPrefix),
        ),
        (
            |i| i.interests.clear(),
            FieldError::new(Field::Interests, Reason::Required),
        ),
        (
            |i| i.interests = vec!["astronaut".into()],
            FieldError::new(Field::Interests, Reason::UnknownChoice),
        ),
        (
            |i| i.interests = vec!["law".into(), "law".into()],
            FieldError::new(Field::Interests, Reason::DuplicateChoice),
        ),
        (
            |i| {
                i.interests = [
                    "hr",
                    "law",
                    "analysis",
                    "databases",
                    "architecture",
                    "it-development",
                ]
                .map(String::from)
                .to_vec()
            },
            FieldError::new(Field::Interests, Reason::TooManyChoices { max: 5 }),
        ),
        (
            |i| i.locations = vec!["kiruna".into()],
            FieldError::new(Field::Locations, Reason::UnknownChoice),
        ),
        (
            |i| i.education_level = "phd".into(),
            FieldError::new(Field::EducationLevel, Reason::UnknownChoice),
        ),
        (
            |i| i.free_text = "Hej!".into(),
            FieldError::new(Field::FreeText, Reason::NotOffered),
        ),
        (
            |i| i.privacy_notice_acknowledged = false,
            FieldError::new(Field::PrivacyNotice, Reason::NotAcknowledged),
        ),
        (
            |i| i.language = None,
            FieldError::new(Field::Language, Reason::Required),
        ),
        (
            |i| {
                i.email.clear();
                i.phone.clear();
            },
            FieldError::new(Field::ContactChannel, Reason::Required),
        ),
    ];
    for (spoil, expected) in cases {
        let mut input = valid_input();
        spoil(&mut input);
        assert_eq!(refused(&input), vec![expected], "{}", expected);
    }
}

#[test]
fn every_refused_field_is_reported_at_once() {
    let mut input = valid_input();
    input.given_name = "42".into();
    input.email = "not an email".into();
    input.interests.clear();
    input.privacy_notice_acknowledged = false;
    let fields: Vec<Field> = refused(&input).iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            Field::GivenName,
            Field::Email,
            Field::Interests,
            Field::PrivacyNotice
        ]
    );
}

#[test]
fn the_talent_pool_opt_in_records_notice_version_language_and_time() {
    let event = demo_event();
    let context = context_for(&event);
    let mut input = valid_input();
    input.talent_pool_opt_in = true;
    input.language = Some(Language::English);
    let registration = validate(&input, &event, &context).expect("valid");
    let opt_in = registration.consents.talent_pool.expect("opted in");
    assert_eq!(opt_in.notice_version, context.form_version);
    assert_eq!(opt_in.language, Language::English);
    assert_eq!(opt_in.at, context.captured_at);
}

#[test]
fn protected_personal_data_takes_the_minimal_path() {
    let event = demo_event();
    let context = context_for(&event);
    let mut input = valid_input();
    input.protected_personal_data = true;
    input.education_level.clear();
    input.email.clear();
    let registration = validate(&input, &event, &context).expect("one channel is enough");
    assert!(registration.restricted);
    assert_eq!(registration.person.email, None);

    let mut both_channels = input.clone();
    both_channels.email = "asa@example.se".into();
    assert_eq!(
        refused(&both_channels),
        vec![FieldError::new(
            Field::ContactChannel,
            Reason::OneChannelOnly
        )]
    );
    let mut with_talent_pool = input.clone();
    with_talent_pool.talent_pool_opt_in = true;
    assert_eq!(
        refused(&with_talent_pool),
        vec![FieldError::new(Field::TalentPool, Reason::NotOffered)]
    );
    let mut with_education = input;
    with_education.education_level = "master".into();
    assert_eq!(
        refused(&with_education),
        vec![FieldError::new(Field::EducationLevel, Reason::NotOffered)]
    );
}

#[test]
fn required_fields_of_a_form_are_enforced_and_relaxed_on_the_protected_path() {
    let mut event = demo_event();
    event.draft_form.fields.email = FieldRequirement::Required;
    event.draft_form.fields.free_text = FieldRequirement::Optional;
    event
        .publish(Timestamp(1_800_000_000_000))
        .expect("publishes");
    let context = context_for(&event);
    let mut input = valid_input();
    input.email.clear();
    let errors = validate(&input, &event, &context).expect_err("email is required");
    assert_eq!(
        errors.errors,
        vec![FieldError::new(Field::Email, Reason::Required)]
    );

    input.protected_personal_data = true;
    input.education_level.clear();
    assert!(
        validate(&input, &event, &context).is_ok(),
        "phone alone is enough when protected"
    );

    let mut with_text = valid_input();
    with_text.free_text = "Jag talar arabiska och\u{202e} svenska".into();
    let errors = validate(&with_text, &event, &context).expect_err("hidden override");
    assert_eq!(
        errors.errors,
        vec![FieldError::new(Field::FreeText, Reason::InvalidCharacters)]
    );
    with_text.free_text = "  Jag talar arabiska och svenska.\nTillgänglig från maj. ".into();
    let registration = validate(&with_text, &event, &context).expect("valid");
    assert_eq!(
        registration.free_text.as_deref(),
        Some("Jag talar arabiska och svenska.\nTillgänglig från maj.")
    );
}

#[test]
fn a_registration_citing_an_unknown_form_version_is_rejected() {
    let event = demo_event();
    let mut context = context_for(&event);
    context.form_version = crate::demo::demo_form_with_three_interests().version();
    assert_eq!(
        validate(&valid_input(), &event, &context)
            .expect_err("unknown")
            .errors,
        vec![FieldError::new(
            Field::FormVersion,
            Reason::UnknownFormVersion
        )]
    );
    let mut wrong_event = context_for(&event);
    wrong_event.event_id = EventId::parse("another-fair").expect("slug");
    assert_eq!(
        validate(&valid_input(), &event, &wrong_event)
            .expect_err("wrong event")
            .errors,
        vec![FieldError::new(Field::Event, Reason::WrongEvent)]
    );
}

#[test]
fn validation_uses_the_cited_form_version_not_the_current_one() {
    let mut event = demo_event();
    let old_context = context_for(&event);
    event.draft_form = crate::demo::demo_form_with_three_interests();
    event
        .publish(Timestamp(1_800_000_000_000))
        .expect("publishes");
    let new_context = context_for(&event);
    assert_ne!(old_context.form_version, new_context.form_version);

    let mut input = valid_input();
    input.interests = ["hr", "law", "analysis", "databases"]
        .map(String::from)
        .to_vec();
    assert!(
        validate(&input, &event, &old_context).is_ok(),
        "the old form allowed five"
    );
    assert_eq!(
        validate(&input, &event, &new_context)
            .expect_err("the new form allows three")
            .errors,
        vec![FieldError::new(
            Field::Interests,
            Reason::TooManyChoices { max: 3 }
        )]
    );
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,120}",
        "[ +()0-9.-]{0,40}",
        "[a-zåäö.+_-]{0,20}@[a-zåäö-]{0,12}\\.[a-z]{0,4}",
    ]
}

fn any_codes() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            any::<String>(),
            prop::sample::select(vec![
                "law".to_owned(),
                "hr".to_owned(),
                "stockholm".to_owned(),
                "malmo".to_owned(),
                "databases".to_owned(),
            ]),
        ],
        0..8,
    )
}

prop_compose! {
    fn any_input()(
        given_name in any_text(),
        family_name in any_text(),
        email in any_text(),
        phone in any_text(),
        interests in any_codes(),
        locations in any_codes(),
        education_level in any_text(),
        free_text in any_text(),
        flags in any::<[bool; 4]>(),
    ) -> RegistrationInput {
        RegistrationInput {
            language: flags[3].then_some(Language::English),
            given_name, family_name, email, phone, interests, locations, education_level,
            free_text,
            privacy_notice_acknowledged: flags[0],
            talent_pool_opt_in: flags[1],
            protected_personal_data: flags[2],
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_input_validates_or_names_its_fields_and_never_panics(input in any_input()) {
        let event = demo_event();
        let context = context_for(&event);
        match validate(&input, &event, &context) {
            Ok(registration) => {
                // What was accepted is already normal: validating it again changes nothing.
                prop_assert_eq!(normalize_name(&registration.person.given_name), Ok(registration.person.given_name.clone()));
                if let Some(phone) = &registration.person.phone {
                    prop_assert_eq!(normalize_phone(phone), Ok(phone.clone()));
                }
                if let Some(email) = &registration.person.email {
                    prop_assert_eq!(normalize_email(email), Ok(email.clone()));
                }
            }
            Err(errors) => {
                prop_assert!(!errors.errors.is_empty());
                for error in &errors.errors {
                    prop_assert!(!error.message(Language::Swedish).is_empty());
                    prop_assert!(!error.message(Language::English).is_empty());
                }
            }
        }
    }

    #[test]
    fn normalisers_are_idempotent(text in any_text()) {
        if let Ok(once) = normalize_name(&text) {
            prop_assert_eq!(normalize_name(&once), Ok(once.clone()));
        }
        if let Ok(once) = normalize_phone(&text) {
            prop_assert_eq!(normalize_phone(&once), Ok(once.clone()));
        }
        if let Ok(once) = normalize_email(&text) {
            prop_assert_eq!(normalize_email(&once), Ok(once.clone()));
        }
    }

    #[test]
    fn errors_never_echo_what_the_visitor_typed(name in "[A-Za-z]{3,20}[0-9]{2}") {
        let mut input = valid_input();
        input.given_name = name.clone();
        let errors = refused(&input);
        let rendered = format!(
            "{} {:?} {}",
            ValidationErrors { errors: errors.clone() },
            errors,
            errors.iter().map(|e| e.message(Language::Swedish)).collect::<String>()
        );
        prop_assert!(!rendered.contains(&name));
    }
}

#[test]
fn debug_output_never_shows_what_a_visitor_typed() {
    let event = demo_event();
    let input = valid_input();
    let registration = validate(&input, &event, &context_for(&event)).expect("valid");
    let printed = format!("{input:?} {registration:?} {:?}", registration.person);
    for secret in ["Åsa", "Lind-Öberg", "Asa.Lind", "070-123", "+46701234567"] {
        assert!(
            !printed.contains(secret),
            "{secret} leaked into Debug output"
        );
    }
    assert!(
        printed.contains("migration-officer"),
        "choices are not personal"
    );
}

#[test]
fn revalidation_accepts_what_validation_made_and_refuses_anything_else() {
    let event = demo_event();
    let registration = validate(&valid_input(), &event, &context_for(&event)).expect("valid");
    assert_eq!(revalidate(&registration, &event), Ok(()));

    let mut unnormalised = registration.clone();
    unnormalised.person.phone = Some("070-123 45 67".into());
    assert_eq!(
        revalidate(&unnormalised, &event),
        Err(RevalidationError::NotNormalised)
    );

    let mut off_list = registration.clone();
    off_list.interests.push("astronaut".into());
    assert!(matches!(
        revalidate(&off_list, &event),
        Err(RevalidationError::Invalid(_))
    ));

    let mut backdated_consent = registration;
    backdated_consent.consents.privacy_notice.at = Timestamp(0);
    assert_eq!(
        revalidate(&backdated_consent, &event),
        Err(RevalidationError::NotNormalised)
    );
}
