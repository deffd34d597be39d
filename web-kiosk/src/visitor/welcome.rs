//! The welcome screen: the event's name, the language choice (Svenska first, the default),
//! and the way in for a visitor with protected personal data. It holds nothing of anyone.

use kiosk_ffi::types::{FormView, Language};
use maud::{Markup, html};

use crate::layout::Page;
use crate::state::Notice;
use crate::texts::{pick, tag, texts};
use crate::visitor::form_page::notice_text;

/// The welcome screen for `form`'s event, in `lang`.
pub fn render(form: &FormView, lang: Language, notice: Option<Notice>) -> Markup {
    let t = texts(lang);
    let event = pick(&form.event_name, lang);
    let languages: Vec<Language> = if form.languages.is_empty() {
        vec![Language::Swedish, Language::English]
    } else {
        // Swedish first whatever order the event lists them in.
        [Language::Swedish, Language::English]
            .into_iter()
            .filter(|l| form.languages.contains(l))
            .collect()
    };
    let page = Page::new(lang, event);
    page.render(html! {
        @if !form.venue.is_empty() {
            p.venue { (form.venue) }
        }
        @if let Some(notice) = notice {
            p.notice role="status" { (notice_text(t, notice)) }
        }
        p.lead { (t.welcome_lead) }
        form.start method="post" action="/start" {
            fieldset.group {
                // Both languages whatever the page's: the visitor may read only the other.
                legend {
                    span lang="sv" { (texts(Language::Swedish).choose_language) }
                    " / "
                    span lang="en" { (texts(Language::English).choose_language) }
                }
                div.language-choice {
                    @for language in &languages {
                        button.primary.large type="submit" name="lang" value=(tag(*language))
                            lang=(tag(*language)) {
                            (texts(*language).start) " – " (texts(*language).language_name)
                        }
                    }
                }
            }
        }
        section.protected-start aria-labelledby="protected-start-heading" {
            h2 #protected-start-heading { (t.protected_question) }
            p { (t.protected_explanation) }
            form method="post" action="/start" {
                input type="hidden" name="path" value="protected";
                button.secondary type="submit" name="lang" value=(tag(lang)) { (t.protected_link) }
            }
            @if languages.len() > 1 {
                p.switch {
                    @let next = if lang == Language::Swedish { Language::English } else { Language::Swedish };
                    a href={ "/?lang=" (tag(next)) } lang=(tag(next)) hreflang=(tag(next)) {
                        (t.switch_language)
                    }
                }
            }
        }
    })
}
