//! The visitor's form, rendered from the form version the core hands over: the fields it
//! asks (and whether each is required), interest areas, locations and education levels by
//! their labels in the visitor's language, the privacy notice, and the separate talent-pool
//! opt-in with its own notice. On the protected-personal-data path it shows only what that
//! path asks. Field errors from the core sit beside their fields and in a summary that
//! takes focus; what the visitor typed is shown again, from memory only.
//!
//! No control may learn or suggest: `autocomplete="off"`, no spellcheck, no autocorrect or
//! capitalisation hints that keyboards remember.

use kiosk_ffi::types::{Choice, FieldProblem, FieldRequirement, Language, RegistrationDraft};
use kiosk_ffi::{IdleLimits, idle_limits};
use maud::{Markup, html};

use crate::layout::{IdleWatch, Page};
use crate::state::{Notice, Visit};
use crate::texts::{Texts, other, pick, pick_pair, tag, texts};

/// The form page of `visit`.
pub fn render(visit: &Visit) -> Markup {
    let lang = visit.language;
    let t = texts(lang);
    let form = &visit.form;
    let empty = RegistrationDraft::default();
    let draft = visit.draft.as_ref().unwrap_or(&empty);
    let view = View {
        lang,
        t,
        problems: &visit.problems,
        protected: visit.protected,
    };
    let title = if visit.protected {
        t.protected_title
    } else {
        t.form_title
    };
    let limits: IdleLimits = idle_limits();
    let page = Page {
        has_errors: !visit.problems.is_empty(),
        start_over: Some(visit.token.clone()),
        idle: Some(IdleWatch {
            ask_after_ms: Some(limits.ask_still_there_after_ms),
            end_after_ms: limits.reset_after_ms,
            activity_url: Some("/visit/activity"),
            end_url: "/visit/reset",
            leave_to: "/",
            token: visit.token.clone(),
            dialog: Some((
                t.idle_dialog_title.to_owned(),
                pick(&form.still_there_prompt, lang).to_owned(),
                pick(&form.still_there_button, lang).to_owned(),
            )),
        }),
        ..Page::new(lang, title)
    };
    let offers_other_language = form.languages.is_empty() || form.languages.contains(&other(lang));
    let contact_required = true;
    page.render(html! {
        p.event-name { (pick(&form.event_name, lang)) @if !form.venue.is_empty() { ", " (form.venue) } }
        @if !visit.problems.is_empty() {
            (error_summary(&view, form))
        }
        @if let Some(notice) = visit.notice {
            p.notice role="status" { (notice_text(t, notice)) }
        }
        @if visit.protected {
            p.protected-explanation { (t.protected_explanation) }
        } @else {
            p.protected-pointer {
                (t.protected_question) " "
                a href="#protected-path" { (t.protected_link) }
            }
        }
        p { (t.form_lead) }
        form #visit-form method="post" action="/form" autocomplete="off" novalidate {
            input type="hidden" name="token" value=(visit.token);
            input type="hidden" name="form_version" value=(form.form_version);

            (view.text_input("given_name", label(form, "given_name", lang), &draft.given_name, Kind::Name, FieldRequirement::Required))
            (view.text_input("family_name", label(form, "family_name", lang), &draft.family_name, Kind::Name, FieldRequirement::Required))

            fieldset.group aria-describedby=[view.described_by("contact_channel", Some("contact-hint"))] {
                legend { (t.contact_legend) " " span.marker { (marker(t, contact_required)) } }
                p.hint #contact-hint {
                    @if visit.protected { (t.contact_hint_protected) } @else { (t.contact_hint) }
                }
                (view.error_of("contact_channel"))
                @if form.email != FieldRequirement::Off {
                    (view.text_input("email", label(form, "email", lang), &draft.email, Kind::Email, view.requirement(form.email)))
                }
                @if form.phone != FieldRequirement::Off {
                    (view.text_input("phone", label(form, "phone", lang), &draft.phone, Kind::Phone, view.requirement(form.phone)))
                }
            }

            (view.choices("interests", label(form, "interests", lang),
                Some(format!("{} {}.", t.interests_hint, form.max_interests)),
                &form.interest_areas, &draft.interests, FieldRequirement::Required))

            @if form.locations_field != FieldRequirement::Off {
                (view.choices("locations", label(form, "locations", lang), Some(t.locations_hint.to_owned()),
                    &form.locations, &draft.locations, view.requirement(form.locations_field)))
            }

            @if !visit.protected && form.education_level != FieldRequirement::Off {
                (view.education(label(form, "education_level", lang), &form.education_levels,
                    &draft.education_level, form.education_level))
            }

            @if !visit.protected && form.free_text != FieldRequirement::Off {
                (view.free_text(label(form, "free_text", lang), &draft.free_text, form.free_text))
            }

            section.notice-box aria-labelledby="privacy-heading" {
                h2 #privacy-heading { (t.privacy_heading) }
                @for paragraph in pick(&form.privacy_notice, lang).split("\n\n") {
                    p { (paragraph) }
                }
                p { (t.privacy_retention) " " (months(form.retention_months, lang)) "." }
                (view.checkbox("privacy_notice", "privacy_notice_acknowledged",
                    t.privacy_confirm, draft.privacy_notice_acknowledged, true))
            }

            @if !visit.protected {
                section.notice-box aria-labelledby="talent-heading" {
                    h2 #talent-heading { (t.talent_pool_heading) }
                    @for paragraph in pick(&form.talent_pool_notice, lang).split("\n\n") {
                        p { (paragraph) }
                    }
                    (view.checkbox("talent_pool", "talent_pool_opt_in",
                        t.talent_pool_confirm, draft.talent_pool_opt_in, false))
                }
            }

            // The send button comes first in the form, so Enter in a field sends.
            div.actions {
                button.primary type="submit" name="intent" value="send" { (t.send) }
            }

            div.other-choices {
                @if offers_other_language {
                    button.secondary type="submit" name="intent" value="language"
                        lang=(tag(other(lang))) { (t.switch_language) }
                }
                @if visit.protected {
                    button.secondary type="submit" name="intent" value="ordinary" { (t.protected_leave) }
                } @else {
                    section #protected-path aria-labelledby="protected-heading" {
                        h2 #protected-heading { (t.protected_question) }
                        // The heading asks; the core's label is a statement for a checkbox
                        // and reads wrongly as a question.
                        p { (t.protected_explanation) }
                        button.secondary type="submit" name="intent" value="protected" { (t.protected_link) }
                    }
                }
            }
        }
    })
}

/// How a text field is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Name,
    Email,
    Phone,
}

struct View<'a> {
    lang: Language,
    t: &'static Texts,
    problems: &'a [FieldProblem],
    protected: bool,
}

impl View<'_> {
    fn problem(&self, field: &str) -> Option<&FieldProblem> {
        self.problems.iter().find(|p| p.field == field)
    }

    /// On the protected path a required contact field or location becomes optional (the
    /// core's rule; shown here so the page does not claim otherwise).
    fn requirement(&self, configured: FieldRequirement) -> FieldRequirement {
        match configured {
            FieldRequirement::Required if self.protected => FieldRequirement::Optional,
            other => other,
        }
    }

    fn described_by(&self, field: &str, hint: Option<&str>) -> Option<String> {
        let error = self.problem(field).map(|_| format!("error-{field}"));
        match (hint, error) {
            (Some(h), Some(e)) => Some(format!("{h} {e}")),
            (Some(h), None) => Some(h.to_owned()),
            (None, Some(e)) => Some(e),
            (None, None) => None,
        }
    }

    fn error_of(&self, field: &str) -> Markup {
        html! {
            @if let Some(problem) = self.problem(field) {
                p.field-error id={ "error-" (field) } {
                    span.visually-hidden { (self.t.error_prefix) }
                    (pick_pair(&problem.explanation_sv, &problem.explanation_en, self.lang))
                }
            }
        }
    }

    fn text_input(
        &self,
        field: &str,
        label: &str,
        value: &str,
        kind: Kind,
        requirement: FieldRequirement,
    ) -> Markup {
        let (input_type, inputmode, max) = match kind {
            Kind::Name => ("text", "text", 100),
            Kind::Email => ("email", "email", 254),
            Kind::Phone => ("tel", "tel", 32),
        };
        let invalid = self.problem(field).is_some();
        html! {
            div.field {
                label for=(field) { (label) " " span.marker { (marker(self.t, requirement == FieldRequirement::Required)) } }
                (self.error_of(field))
                input id=(field) name=(field) type=(input_type) inputmode=(inputmode)
                    value=(value) maxlength=(max)
                    autocomplete="off" spellcheck="false" autocorrect="off"
                    autocapitalize=(if kind == Kind::Name { "words" } else { "off" })
                    aria-required=[(requirement == FieldRequirement::Required).then_some("true")]
                    aria-invalid=[invalid.then_some("true")]
                    aria-describedby=[self.described_by(field, None)];
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn choices(
        &self,
        field: &str,
        legend: &str,
        hint: Option<String>,
        choices: &[Choice],
        picked: &[String],
        requirement: FieldRequirement,
    ) -> Markup {
        let hint_id = format!("{field}-hint");
        html! {
            fieldset.group.choices
                aria-describedby=[self.described_by(field, hint.as_ref().map(|_| hint_id.as_str()))]
                aria-invalid=[self.problem(field).map(|_| "true")] {
                legend { (legend) " " span.marker { (marker(self.t, requirement == FieldRequirement::Required)) } }
                @if let Some(hint) = &hint {
                    p.hint id=(hint_id) { (hint) }
                }
                (self.error_of(field))
                @for (index, choice) in choices.iter().enumerate() {
                    div.choice {
                        input type="checkbox" id={ (field) "-" (index) } name=(field) value=(choice.code)
                            checked[picked.contains(&choice.code)];
                        label for={ (field) "-" (index) } { (pick(&choice.label, self.lang)) }
                    }
                }
            }
        }
    }

    fn education(
        &self,
        legend: &str,
        levels: &[Choice],
        picked: &str,
        requirement: FieldRequirement,
    ) -> Markup {
        let field = "education_level";
        html! {
            fieldset.group.choices aria-describedby=[self.described_by(field, None)] {
                legend { (legend) " " span.marker { (marker(self.t, requirement == FieldRequirement::Required)) } }
                (self.error_of(field))
                @if requirement != FieldRequirement::Required {
                    div.choice {
                        input type="radio" id="education_level-none" name=(field) value=""
                            checked[picked.is_empty()];
                        label for="education_level-none" { (self.t.education_none) }
                    }
                }
                @for (index, level) in levels.iter().enumerate() {
                    div.choice {
                        input type="radio" id={ (field) "-" (index) } name=(field) value=(level.code)
                            checked[picked == level.code];
                        label for={ (field) "-" (index) } { (pick(&level.label, self.lang)) }
                    }
                }
            }
        }
    }

    fn free_text(&self, label: &str, value: &str, requirement: FieldRequirement) -> Markup {
        let field = "free_text";
        html! {
            div.field {
                label for=(field) { (label) " " span.marker { (marker(self.t, requirement == FieldRequirement::Required)) } }
                p.hint #free_text-hint { (self.t.free_text_hint) }
                (self.error_of(field))
                textarea id=(field) name=(field) rows="4" maxlength="1000"
                    autocomplete="off" spellcheck="false" autocorrect="off" autocapitalize="sentences"
                    aria-invalid=[self.problem(field).map(|_| "true")]
                    aria-describedby=[self.described_by(field, Some("free_text-hint"))] { (value) }
            }
        }
    }

    fn checkbox(
        &self,
        field: &str,
        name: &str,
        label: &str,
        checked: bool,
        required: bool,
    ) -> Markup {
        html! {
            div.choice.confirm {
                (self.error_of(field))
                input type="checkbox" id=(field) name=(name) value="yes" checked[checked]
                    aria-required=[required.then_some("true")]
                    aria-invalid=[self.problem(field).map(|_| "true")]
                    aria-describedby=[self.described_by(field, None)];
                label for=(field) { (label) @if required { " " span.marker { (self.t.required_marker) } } }
            }
        }
    }
}

/// The summary of every refused field, in form order, each linking to its field. It takes
/// focus when the page loads, so a screen reader reads it first.
fn error_summary(view: &View<'_>, form: &kiosk_ffi::types::FormView) -> Markup {
    html! {
        div.error-summary role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title" {
            h2 #error-summary-title { (view.t.error_summary_title) }
            ul {
                @for problem in view.problems {
                    li {
                        a href={ "#" (anchor_of(&problem.field, form)) } {
                            (pick_pair(&problem.message_sv, &problem.message_en, view.lang))
                        }
                    }
                }
            }
        }
    }
}

/// The control a field's error links to (contact: the first channel the form asks).
fn anchor_of(field: &str, form: &kiosk_ffi::types::FormView) -> String {
    match field {
        "contact_channel" if form.email == FieldRequirement::Off => "phone".to_owned(),
        "contact_channel" => "email".to_owned(),
        "interests" | "locations" | "education_level" => format!("{field}-0"),
        other => other.to_owned(),
    }
}

fn label<'f>(form: &'f kiosk_ffi::types::FormView, field: &'f str, lang: Language) -> &'f str {
    form.field_labels
        .iter()
        .find(|l| l.field == field)
        .map_or(field, |l| pick(&l.label, lang))
}

fn marker(t: &Texts, required: bool) -> &'static str {
    if required {
        t.required_marker
    } else {
        t.optional_marker
    }
}

fn months(count: u16, lang: Language) -> String {
    match lang {
        Language::Swedish => format!("{count} månader"),
        Language::English => format!("{count} months"),
    }
}

pub fn notice_text(t: &Texts, notice: Notice) -> &'static str {
    match notice {
        Notice::FormUpdated => t.form_updated,
        Notice::ClearedAfterIdle => t.cleared_after_idle,
        Notice::CaptureFailed => t.capture_failed,
    }
}
