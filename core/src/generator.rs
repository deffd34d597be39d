//! Realistic test registrations: Swedish and international names, the phone formats
//! visitors really type, one to five interests. Seeded, so a test or benchmark sees the same
//! corpus on every run.

use ed25519_dalek::SigningKey;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use unicode_normalization::UnicodeNormalization;

use crate::event::Event;
use crate::ids::{DeviceId, RegistrationId, Timestamp};
use crate::language::Language;
use crate::registration::Registration;
use crate::validation::{CaptureContext, RegistrationInput, ValidationErrors, validate};

const SWEDISH_GIVEN: &[&str] = &[
    "Åsa",
    "Anna-Karin",
    "Björn",
    "Elsa",
    "Erik",
    "Göran",
    "Ingrid",
    "Johan",
    "Karin",
    "Lars",
    "Linnéa",
    "Maja",
    "Märta",
    "Nils",
    "Oskar",
    "Päivi",
    "Sofia",
    "Ulf",
    "Åke",
    "Ebba",
];
const SWEDISH_FAMILY: &[&str] = &[
    "Andersson",
    "Berg",
    "Bäckström",
    "Ek",
    "Forsberg",
    "Gustafsson",
    "Hedlund",
    "Johansson",
    "Lindqvist",
    "Löfgren",
    "Nilsson",
    "Öberg",
    "Sjöström",
    "Strand",
    "Wästberg",
    "af Klint",
];
const INTERNATIONAL: &[(&str, &str)] = &[
    ("Øyvind", "Hansen"),
    ("Zoë", "O'Connor"),
    ("Mohammed", "Al-Sayed"),
    ("محمد", "العلي"),
    ("Fatemeh", "Hosseini"),
    ("Nguyễn", "Thị Lan"),
    ("José María", "García-López"),
    ("Łukasz", "Wiśniewski"),
    ("Aino", "Mäkelä"),
    ("Siobhán", "Ní Bhriain"),
    ("Yael", "Ben-David"),
    ("יעל", "כהן"),
    ("Ayşe", "Yılmaz"),
    ("Chukwuemeka", "Okafor"),
    ("Priya", "Raghunathan"),
    ("Dimitrios", "Papadopoulos"),
    ("Jan", "'t Hooft"),
];
const MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "hotmail.se",
    "outlook.com",
    "telia.com",
    "live.se",
    "icloud.com",
    "student.lu.se",
];

/// Produces realistic form input for one event's current form.
#[derive(Debug)]
pub struct RegistrationGenerator {
    rng: StdRng,
    event: Event,
    device: DeviceId,
    clock: Timestamp,
}

impl RegistrationGenerator {
    /// A generator for `event`'s current form, reproducible from `seed`.
    pub fn new(event: Event, seed: u64) -> RegistrationGenerator {
        let mut rng = StdRng::seed_from_u64(seed);
        let device_key = SigningKey::from_bytes(&rng.random());
        RegistrationGenerator {
            rng,
            event,
            device: DeviceId::from_public_key(&device_key.verifying_key()),
            // The demo fair's first morning, 09:00 Stockholm time.
            clock: Timestamp(1_773_302_400_000),
        }
    }

    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The next visitor's input and the capture context the kiosk would add.
    pub fn next_input(&mut self) -> (RegistrationInput, CaptureContext) {
        let form = &self
            .event
            .current_form()
            .expect("the generator needs a published form");
        let version = form.version.clone();
        let form = form.form.clone();
        let rng = &mut self.rng;

        let (given, family) = if rng.random_bool(0.7) {
            (pick(rng, SWEDISH_GIVEN), pick(rng, SWEDISH_FAMILY))
        } else {
            *INTERNATIONAL.choose(rng).expect("non-empty")
        };
        let protected = rng.random_bool(0.02);
        let wants_email = rng.random_bool(0.85);
        let wants_phone = !wants_email || rng.random_bool(0.6);
        let mut email = if wants_email {
            email_for(rng, given, family)
        } else {
            String::new()
        };
        let mut phone = if wants_phone {
            phone_number(rng)
        } else {
            String::new()
        };
        if protected && !email.is_empty() && !phone.is_empty() {
            // The protected path takes one channel of the visitor's choice.
            if rng.random_bool(0.5) {
                email.clear();
            } else {
                phone.clear();
            }
        }
        let interest_count = rng.random_range(1..=usize::from(form.max_interests));
        let interests = form
            .interest_areas
            .sample(rng, interest_count)
            .map(|c| c.code.clone())
            .collect();
        let location_count = rng.random_range(0..=3);
        let locations = form
            .locations
            .sample(rng, location_count)
            .map(|c| c.code.clone())
            .collect();
        let education_level = match form.education_levels.choose(rng) {
            Some(level) if !protected && rng.random_bool(0.6) => level.code.clone(),
            _ => String::new(),
        };
        let language = if rng.random_bool(0.7) {
            Language::Swedish
        } else {
            Language::English
        };
        let input = RegistrationInput {
            language: Some(language),
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            email,
            phone,
            interests,
            locations,
            education_level,
            free_text: String::new(),
            privacy_notice_acknowledged: true,
            talent_pool_opt_in: !protected && rng.random_bool(0.4),
            protected_personal_data: protected,
        };
        // Visitors arrive every 20 seconds to 3 minutes.
        self.clock = Timestamp(self.clock.0 + rng.random_range(20_000..180_000));
        let context = CaptureContext {
            registration_id: RegistrationId::from_parts(self.clock, rng.random()),
            event_id: self.event.id.clone(),
            form_version: version,
            captured_at: self.clock,
            device: self.device.clone(),
        };
        (input, context)
    }

    /// The next visitor's registration, validated as a kiosk would.
    pub fn next_registration(&mut self) -> Result<Registration, ValidationErrors> {
        let (input, context) = self.next_input();
        validate(&input, &self.event, &context)
    }
}

/// A kiosk device at `path` with the demo event installed and its data key in memory, not
/// yet enrolled: for tests and benchmarks.
pub fn demo_kiosk(path: &std::path::Path) -> crate::Result<std::sync::Arc<crate::device::Device>> {
    let device = crate::device::Device::open(
        path,
        &crate::secrets::MemorySecretStore::default(),
        crate::device::DeviceRole::Kiosk,
    )?;
    device.install_event(&crate::demo::demo_event(), Timestamp::now())?;
    Ok(device)
}

/// A staff tablet with the demo event installed and its first staff PIN set, at `path`.
pub fn demo_staff(
    path: &std::path::Path,
    pin: &str,
) -> crate::Result<std::sync::Arc<crate::device::Device>> {
    let device = crate::device::Device::open(
        path,
        &crate::secrets::MemorySecretStore::default(),
        crate::device::DeviceRole::Staff,
    )?;
    device.install_event(&crate::demo::demo_event(), Timestamp::now())?;
    crate::staff::set_initial_pin(&device, pin)?;
    Ok(device)
}

/// Captures `count` generated visitors on `device` through a visitor session, as a kiosk
/// at a fair would: for tests, benchmarks and demos.
pub fn capture_generated(
    device: &std::sync::Arc<crate::device::Device>,
    count: usize,
    seed: u64,
) -> crate::Result<Vec<crate::device::Receipt>> {
    let event = device.event()?.ok_or(crate::Error::NoEvent)?;
    let mut generator = RegistrationGenerator::new(event, seed);
    let mut session =
        crate::visitor::VisitorSession::start(std::sync::Arc::clone(device), Timestamp::now())?;
    (0..count)
        .map(|_| {
            let now = Timestamp::now();
            session.update(generator.next_input().0, now)?;
            session.submit(now)
        })
        .collect()
}

fn pick(rng: &mut StdRng, list: &[&'static str]) -> &'static str {
    list.choose(rng).expect("non-empty list")
}

/// An address a person with this name might have, in ASCII as most providers require.
fn email_for(rng: &mut StdRng, given: &str, family: &str) -> String {
    // Decomposed, accents fall away as combining marks; a few letters have no decomposition.
    let ascii = |name: &str| -> String {
        name.nfd()
            .filter_map(|c| match c {
                'ø' | 'Ø' => Some('o'),
                'ł' | 'Ł' => Some('l'),
                'ı' => Some('i'),
                c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    };
    let (given, family) = (ascii(given), ascii(family));
    let local = match (given.is_empty(), family.is_empty()) {
        (false, false) => format!("{given}.{family}"),
        (false, true) => given,
        (true, false) => family,
        (true, true) => format!("visitor{}", rng.random_range(100..999)),
    };
    let number = if rng.random_bool(0.3) {
        rng.random_range(1..99).to_string()
    } else {
        String::new()
    };
    format!("{local}{number}@{}", pick(rng, MAIL_DOMAINS))
}

/// A phone number in one of the formats visitors type.
fn phone_number(rng: &mut StdRng) -> String {
    let prefix = *["70", "72", "73", "76", "79"]
        .choose(rng)
        .expect("non-empty");
    let (a, b, c) = (
        rng.random_range(100..1000),
        rng.random_range(10..100),
        rng.random_range(10..100),
    );
    match rng.random_range(0..9) {
        0 => format!("0{prefix}-{a} {b} {c}"),
        1 => format!("0{prefix}{a}{b}{c}"),
        2 => format!("+46 {prefix} {a} {b} {c}"),
        3 => format!("+46 (0){prefix}-{a} {b} {c}"),
        4 => format!("0046{prefix}{a}{b}{c}"),
        5 => format!("08-{a} {b}{c}"),
        6 => format!("+47 {a} {b} {c}{}", rng.random_range(0..10)),
        7 => format!("+358 40 {a} {b}{c}"),
        _ => format!("+44 (0)20 {} {}{c}", rng.random_range(1000..10000), b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_event;

    #[test]
    fn every_generated_registration_validates_against_the_demo_form() {
        let mut generator = RegistrationGenerator::new(demo_event(), 1);
        let mut protected = 0;
        let mut talent_pool = 0;
        let mut international_phone = 0;
        for _ in 0..2_000 {
            let registration = generator
                .next_registration()
                .unwrap_or_else(|e| panic!("generated input must validate: {e}"));
            assert!((1..=5).contains(&registration.interests.len()));
            protected += usize::from(registration.restricted);
            talent_pool += usize::from(registration.in_talent_pool());
            let phone = registration.person.phone.as_deref().unwrap_or("+46");
            international_phone += usize::from(!phone.starts_with("+46"));
        }
        assert!(protected > 0, "the corpus includes protected visitors");
        assert!(talent_pool > 400, "about 40% opt in to the talent pool");
        assert!(
            international_phone > 100,
            "the corpus includes foreign numbers"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_corpus() {
        let mut a = RegistrationGenerator::new(demo_event(), 7);
        let mut b = RegistrationGenerator::new(demo_event(), 7);
        for _ in 0..50 {
            assert_eq!(a.next_input(), b.next_input());
        }
    }
}
