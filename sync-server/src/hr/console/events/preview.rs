//! What visitors will see: the visitor's form rendered from an event's draft the way the
//! web kiosk shows it (its headings, the field labels the core gives, interest areas,
//! locations and education levels by their labels, the privacy notice with its retention
//! period, the talent-pool opt-in), once in Swedish and once in English, each marked with
//! its `lang`. The controls are disabled: this is a picture of the form, not a form. The
//! visitor-facing wording follows `web-kiosk/src/texts.rs` and the labels come from
//! [`kiosk_core::validation::Field::label`], as the kiosk's do.

use kiosk_core::form::{Choice, FieldRequirement, FormDefinition};
use kiosk_core::language::{Language, Localized};
use kiosk_core::validation::Field;
use maud::{Markup, html};

use super::texts::EventTexts;

/// The kiosk's own words for the parts of the form around the event's texts.
struct VisitorTexts {
    form_title: &'static str,
    required: &'static str,
    optional: &'static str,
    contact_legend: &'static str,
    contact_hint: &'static str,
    interests_hint: &'static str,
    locations_hint: &'static str,
    education_none: &'static str,
    privacy_heading: &'static str,
    privacy_retention: &'static str,
    months: &'static str,
    privacy_confirm: &'static str,
    talent_pool_heading: &'static str,
    talent_pool_confirm: &'static str,
    send: &'static str,
    /// Shown in place of a choice's label not yet written, so the preview of an unfinished
    /// draft shows the gap (and no checkbox goes without a label).
    missing_label: &'static str,
}

const VISITOR_SV: VisitorTexts = VisitorTexts {
    form_title: "Din intresseanmälan",
    required: "(obligatoriskt)",
    optional: "(frivilligt)",
    contact_legend: "Hur vill du bli kontaktad?",
    contact_hint: "Fyll i e-post, telefon eller båda.",
    interests_hint: "Välj minst ett och högst",
    locations_hint: "Välj de orter du kan tänka dig att arbeta på.",
    education_none: "Vill inte ange",
    privacy_heading: "Så behandlar vi dina uppgifter",
    privacy_retention: "Uppgifterna sparas i",
    months: "månader",
    privacy_confirm: "Jag har läst hur mina uppgifter behandlas",
    talent_pool_heading: "Talangbank (frivilligt)",
    talent_pool_confirm: "Ja, spara mina uppgifter i talangbanken",
    send: "Skicka anmälan",
    missing_label: "(etikett saknas)",
};

const VISITOR_EN: VisitorTexts = VisitorTexts {
    form_title: "Your expression of interest",
    required: "(required)",
    optional: "(optional)",
    contact_legend: "How would you like to be contacted?",
    contact_hint: "Give an email address, a phone number or both.",
    interests_hint: "Choose at least one and at most",
    locations_hint: "Choose the places where you could work.",
    education_none: "Prefer not to say",
    privacy_heading: "How we handle your details",
    privacy_retention: "Your details are kept for",
    months: "months",
    privacy_confirm: "I have read how my details are handled",
    talent_pool_heading: "Talent pool (optional)",
    talent_pool_confirm: "Yes, keep my details in the talent pool",
    send: "Send",
    missing_label: "(label missing)",
};

/// The parts of an event a visitor sees.
#[derive(Debug)]
pub(super) struct Shown<'a> {
    pub name: &'a Localized,
    pub venue: &'a str,
    /// The languages the kiosk offers; a language not among them is still previewed,
    /// with a note.
    pub languages: &'a [Language],
    pub form: &'a FormDefinition,
}

/// Both languages' previews, under `h3` headings; ids start with `prefix` so two previews
/// can share a page.
pub(super) fn preview(t: &EventTexts, prefix: &str, shown: &Shown<'_>) -> Markup {
    html! {
        div.preview-languages {
            @for (language, heading) in [
                (Language::Swedish, t.preview_in_swedish),
                (Language::English, t.preview_in_english),
            ] {
                @let id = format!("{prefix}-{}", language.tag());
                section.preview aria-labelledby={ (id) "-heading" } {
                    h3 #{ (id) "-heading" } { (heading) }
                    @if !shown.languages.is_empty() && !shown.languages.contains(&language) {
                        p.hint { (t.preview_not_offered) }
                    }
                    div.visitor-form lang=(language.tag()) {
                        (visitor_form(language, &id, shown))
                    }
                }
            }
        }
    }
}

fn marker(v: &VisitorTexts, requirement: FieldRequirement) -> &'static str {
    if requirement == FieldRequirement::Required {
        v.required
    } else {
        v.optional
    }
}

fn visitor_form(lang: Language, id: &str, shown: &Shown<'_>) -> Markup {
    let v = match lang {
        Language::Swedish => &VISITOR_SV,
        Language::English => &VISITOR_EN,
    };
    let form = shown.form;
    let fields = &form.fields;
    let text = |field: Field, requirement: FieldRequirement| {
        let control = format!("{id}-{}", field.code());
        html! {
            div.field {
                label for=(control) { (field.label(lang)) " " (marker(v, requirement)) }
                input #(control) type="text" disabled;
            }
        }
    };
    let paragraphs = |text: &str| {
        // A draft not yet saved still has a browser's `\r\n` line breaks.
        let paragraphs: Vec<String> = text
            .replace("\r\n", "\n")
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        html! { @for paragraph in &paragraphs { p { (paragraph) } } }
    };
    html! {
        h4 { (v.form_title) }
        p.event-name {
            (shown.name.get(lang))
            @if !shown.venue.trim().is_empty() { ", " (shown.venue) }
        }
        (text(Field::GivenName, FieldRequirement::Required))
        (text(Field::FamilyName, FieldRequirement::Required))
        fieldset {
            legend { (v.contact_legend) " " (v.required) }
            p.hint { (v.contact_hint) }
            @if fields.email.is_on() { (text(Field::Email, fields.email)) }
            @if fields.phone.is_on() { (text(Field::Phone, fields.phone)) }
        }
        (choices(lang, v, &format!("{id}-interests"), Field::Interests,
            Some(format!("{} {}.", v.interests_hint, form.max_interests)),
            &form.interest_areas, "checkbox", FieldRequirement::Required))
        @if fields.locations.is_on() {
            (choices(lang, v, &format!("{id}-locations"), Field::Locations,
                Some(v.locations_hint.to_owned()), &form.locations, "checkbox", fields.locations))
        }
        @if fields.education_level.is_on() {
            (choices(lang, v, &format!("{id}-education"), Field::EducationLevel, None,
                &form.education_levels, "radio", fields.education_level))
        }
        @if fields.free_text.is_on() {
            @let control = format!("{id}-free_text");
            div.field {
                label for=(control) { (Field::FreeText.label(lang)) " " (marker(v, fields.free_text)) }
                textarea #(control) rows="3" disabled {}
            }
        }
        section.notice-box aria-labelledby={ (id) "-privacy" } {
            h4 #{ (id) "-privacy" } { (v.privacy_heading) }
            (paragraphs(form.privacy_notice.get(lang)))
            p { (v.privacy_retention) " " (form.retention.months_after_capture) " " (v.months) "." }
            div.field {
                input #{ (id) "-privacy-confirm" } type="checkbox" disabled;
                " "
                label for={ (id) "-privacy-confirm" } { (v.privacy_confirm) }
            }
        }
        section.notice-box aria-labelledby={ (id) "-talent" } {
            h4 #{ (id) "-talent" } { (v.talent_pool_heading) }
            (paragraphs(form.talent_pool_notice.get(lang)))
            div.field {
                input #{ (id) "-talent-confirm" } type="checkbox" disabled;
                " "
                label for={ (id) "-talent-confirm" } { (v.talent_pool_confirm) }
            }
        }
        p { button.button type="button" disabled { (v.send) } }
    }
}

#[allow(clippy::too_many_arguments)]
fn choices(
    lang: Language,
    v: &VisitorTexts,
    id: &str,
    field: Field,
    hint: Option<String>,
    choices: &[Choice],
    kind: &str,
    requirement: FieldRequirement,
) -> Markup {
    html! {
        fieldset.field {
            legend { (field.label(lang)) " " (marker(v, requirement)) }
            @if let Some(hint) = &hint { p.hint { (hint) } }
            @if kind == "radio" && requirement != FieldRequirement::Required {
                div {
                    input #{ (id) "-none" } type="radio" disabled;
                    " "
                    label for={ (id) "-none" } { (v.education_none) }
                }
            }
            @for (index, choice) in choices.iter().enumerate() {
                div {
                    input #{ (id) "-" (index) } type=(kind) disabled;
                    " "
                    label for={ (id) "-" (index) } {
                        @match choice.label.get(lang).trim() {
                            "" => strong.error-message { (v.missing_label) },
                            label => (label),
                        }
                    }
                }
            }
        }
    }
}
