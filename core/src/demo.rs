//! The demo event: a realistic bilingual recruiting form for the agency, used by the README's
//! demo, the tests and the benchmarks.

use crate::event::Event;
use crate::form::{Choice, FieldRequirement, FormDefinition, FormFields, RetentionRule};
use crate::ids::{CalendarDate, EventId, Timestamp};
use crate::language::Localized;

/// The demo event's id.
pub const DEMO_EVENT_ID: &str = "sthlm-career-fair-2026";

/// When the demo form was published (2026-03-01 08:00 UTC), fixed so its version is stable.
pub const DEMO_PUBLISHED_AT: Timestamp = Timestamp(1_772_352_000_000);

/// The agency's recruiting form as it would be set up for a fair.
pub fn demo_form() -> FormDefinition {
    FormDefinition {
        fields: FormFields {
            email: FieldRequirement::Optional,
            phone: FieldRequirement::Optional,
            locations: FieldRequirement::Optional,
            education_level: FieldRequirement::Optional,
            free_text: FieldRequirement::Off,
        },
        interest_areas: vec![
            Choice::new(
                "migration-officer",
                "Migrationshandläggare (tillståndsenheter)",
                "Migration officer (permit units)",
            ),
            Choice::new("asylum-officer", "Asylhandläggare", "Asylum officer"),
            Choice::new("it-development", "IT-utveckling", "IT development"),
            Choice::new("architecture", "IT-arkitektur", "IT architecture"),
            Choice::new("databases", "Databaser och data", "Databases and data"),
            Choice::new(
                "information-security",
                "Informationssäkerhet",
                "Information security",
            ),
            Choice::new(
                "hr",
                "HR och kompetensförsörjning",
                "HR and talent acquisition",
            ),
            Choice::new("law", "Juridik", "Law"),
            Choice::new(
                "customer-service",
                "Kundtjänst och service",
                "Customer service",
            ),
            Choice::new(
                "analysis",
                "Analys och statistik",
                "Analysis and statistics",
            ),
        ],
        max_interests: 5,
        locations: vec![
            Choice::new("norrkoping", "Norrköping", "Norrköping"),
            Choice::new("stockholm", "Stockholm", "Stockholm"),
            Choice::new("goteborg", "Göteborg", "Gothenburg"),
            Choice::new("malmo", "Malmö", "Malmö"),
            Choice::new("uppsala", "Uppsala", "Uppsala"),
            Choice::new("umea", "Umeå", "Umeå"),
            Choice::new("remote", "Distans (delvis)", "Remote (partly)"),
        ],
        education_levels: vec![
            Choice::new("upper-secondary", "Gymnasium", "Upper secondary school"),
            Choice::new("vocational", "Yrkeshögskola", "Higher vocational education"),
            Choice::new(
                "university-ongoing",
                "Pågående högskolestudier",
                "University studies, ongoing",
            ),
            Choice::new("bachelor", "Kandidatexamen", "Bachelor's degree"),
            Choice::new("master", "Magister- eller masterexamen", "Master's degree"),
            Choice::new("doctorate", "Doktorsexamen", "Doctorate"),
        ],
        privacy_notice: Localized::new(
            "Din intresseanmälan blir en allmän handling när vi tar emot den. Vi behandlar dina \
             uppgifter för att kunna kontakta dig om lediga tjänster som du har visat intresse \
             för; det är en del av vår uppgift som myndighet (allmänt intresse). Vi sparar \
             anmälan i 24 månader och gallrar den sedan enligt vårt gallringsbeslut. Du har rätt \
             att få en kopia av det vi har om dig, att få fel rättade och att be oss sluta \
             kontakta dig: skriv till registrator eller till vårt dataskyddsombud och ange din \
             kvittokod. Har du skyddade personuppgifter, markera det så sparar vi bara det \
             nödvändigaste och bara särskilt behöriga handläggare kan se anmälan.",
            "Your expression of interest becomes a public document (allmän handling) when we \
             receive it. We process your details to contact you about vacancies you have shown \
             interest in, as part of our task as a public authority (public interest). We keep \
             the registration for 24 months and then dispose of it under our retention \
             decision. You have the right to a copy of what we hold about you, to have errors \
             corrected, and to ask us to stop contacting you: write to our registry office or \
             our data protection officer and give your receipt code. If you have protected \
             personal data, tick the box: we then keep only what is necessary and only \
             specially authorised staff can see the registration.",
        ),
        talent_pool_notice: Localized::new(
            "Ja, spara mig i myndighetens talangpool i 24 månader och kontakta mig om andra \
             tjänster som kan passa mig. Frivilligt; du kan när som helst ta tillbaka ditt \
             samtycke, och det gäller direkt.",
            "Yes, keep me in the agency's talent pool for 24 months and contact me about other \
             roles that may suit me. Optional; you can withdraw your consent at any time, and \
             it takes effect at once.",
        ),
        retention: RetentionRule {
            months_after_capture: 24,
            decision: "Gallringsbeslut HR 2026:3 (dnr 1.1.2-2026-00412)".to_owned(),
        },
    }
}

/// The demo fair, with [`demo_form`] published at [`DEMO_PUBLISHED_AT`].
pub fn demo_event() -> Event {
    let mut event = Event::new(
        EventId::parse(DEMO_EVENT_ID).expect("the demo id is a slug"),
        Localized::new("Karriärmässa Stockholm 2026", "Stockholm Career Fair 2026"),
        "Stockholmsmässan, Älvsjö",
        // Today and tomorrow, so the demo fair is always on: a past fair's receipted copies
        // are erased after its grace period, whatever the relay's backups hold.
        CalendarDate::of(Timestamp::now(), 0).expect("today is a real date"),
        Some(CalendarDate::of(Timestamp::now(), 1).expect("tomorrow is a real date")),
        demo_form(),
    )
    .expect("the demo event's dates are in order");
    event
        .publish(DEMO_PUBLISHED_AT)
        .expect("the demo form passes its checks");
    event
}

/// The demo form as HR might revise it mid-fair: at most three interest areas.
pub fn demo_form_with_three_interests() -> FormDefinition {
    FormDefinition {
        max_interests: 3,
        ..demo_form()
    }
}

/// Seed of the demo relay's sealing key. Development only: real tablets pin the key their
/// relay hands out at enrollment, and this seed is public.
pub const DEMO_RELAY_SEED: [u8; 32] = *b"kiosk-demo-relay-key-public-seed";

/// The demo relay's sealing key pair.
pub fn demo_relay_key() -> crate::capture::RelayOpeningKey {
    crate::capture::RelayOpeningKey::from_seed(&DEMO_RELAY_SEED)
}
