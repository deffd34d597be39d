//! `kiosk-device`: the device side of Kiosk from a terminal.
//!
//! `demo` shows the demo event's form, captures generated visitors against it, shows how a
//! refused submission reads in Swedish and English, and what each registration document
//! weighs.

use clap::{Parser, Subcommand};
use kiosk_core::demo::demo_event;
use kiosk_core::documents::RegistrationDocument;
use kiosk_core::generator::RegistrationGenerator;
use kiosk_core::language::Language;
use kiosk_core::validation::{RegistrationInput, validate};

#[derive(Parser)]
#[command(version, about = "The Kiosk device side from a terminal")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the demo event, capture generated registrations against its form, and print them.
    Demo {
        /// How many visitors to generate.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Seed for the generator, so a run can be repeated.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Language for labels and error messages: sv or en.
        #[arg(long, default_value = "sv", value_parser = parse_language)]
        lang: Language,
    },
}

fn parse_language(tag: &str) -> Result<Language, String> {
    Language::from_tag(tag).ok_or_else(|| format!("unknown language {tag:?}: use sv or en"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().command {
        Command::Demo { count, seed, lang } => demo(count, seed, lang),
    }
}

fn demo(count: usize, seed: u64, lang: Language) -> Result<(), Box<dyn std::error::Error>> {
    let event = demo_event();
    let published = event.current_form()?;
    let form = &published.form;
    println!("{} — {}", event.name.get(lang), event.venue);
    println!(
        "{} {} … {}",
        if lang == Language::Swedish {
            "Datum:"
        } else {
            "Dates:"
        },
        event.starts_on,
        event
            .ends_on
            .as_ref()
            .map_or("–".to_owned(), ToString::to_string)
    );
    println!("form version {}", published.version);
    let areas: Vec<&str> = form
        .interest_areas
        .iter()
        .map(|c| c.label.get(lang))
        .collect();
    println!("{}", areas.join(" · "));
    println!();

    let mut generator = RegistrationGenerator::new(event.clone(), seed);
    let device_key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]).verifying_key();
    for _ in 0..count {
        let registration = generator.next_registration()?;
        let mut document =
            RegistrationDocument::create(&registration, &device_key, registration.captured_at)?;
        let person = &registration.person;
        let interests: Vec<&str> = registration
            .interests
            .iter()
            .filter_map(|code| form.interest_area(code))
            .map(|c| c.label.get(lang))
            .collect();
        println!(
            "{} {} | {} | {} | {} | {} bytes{}{}",
            person.given_name,
            person.family_name,
            person.email.as_deref().unwrap_or("–"),
            person.phone.as_deref().unwrap_or("–"),
            interests.join(", "),
            document.save().len(),
            if registration.in_talent_pool() {
                " | talangpool/talent pool"
            } else {
                ""
            },
            if registration.restricted {
                " | SKYDDAD/RESTRICTED"
            } else {
                ""
            },
        );
    }

    println!();
    let refused = RegistrationInput {
        language: Some(lang),
        given_name: "Åsa".into(),
        family_name: "L1nd".into(),
        phone: "070-123 45".into(),
        interests: vec!["astronaut".into()],
        ..RegistrationInput::default()
    };
    let (_, context) = generator.next_input();
    if let Err(errors) = validate(&refused, &event, &context) {
        for error in &errors.errors {
            println!("✗ {}", error.message(lang));
        }
    }
    Ok(())
}
