//! `GET /console/accessibility`: the console's accessibility statement
//! (*tillgänglighetsredogörelse*), as the law on accessible public digital services (lagen
//! (2018:1937) om tillgänglighet till digital offentlig service) asks of a public agency's
//! service, in the structure of DIGG's model statement: who it is for, how accessible the
//! console is, what does not work yet, how to report a problem (the `accessibility_contact`
//! setting), DIGG's supervision and complaint page, how the console was tested, and the date.
//!
//! Public: no login is needed to read it (a logged-in user sees their menu too), in Swedish
//! by default or as `?lang=sv|en` asks. Every console page's footer links it.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use kiosk_core::language::Language;
use maud::{Markup, html};

use super::layout::{Nav, Page};
use super::{Console, Lang, Refusal, html_page};
use crate::hr::sessions::SESSION_IDLE_MS;
use crate::state::AppState;

/// When the statement was last reviewed against the console; change it with the text.
pub const STATEMENT_DATE: &str = "2026-12-06";

/// DIGG's page for reporting a public service that does not meet the law.
pub const DIGG_COMPLAINT_URL: &str = "https://www.digg.se/tdosanmalan";

/// The statement's texts in one language. `{}` in a template is filled in order.
#[derive(Debug)]
struct Texts {
    title: &'static str,
    intro: &'static str,
    scope: &'static str,
    status_heading: &'static str,
    status: &'static str,
    alternatives_heading: &'static str,
    alternatives: &'static str,
    report_heading: &'static str,
    report: &'static str,
    contact_label: &'static str,
    contact_missing: &'static str,
    supervision_heading: &'static str,
    supervision: &'static str,
    complaint_link: &'static str,
    technical_heading: &'static str,
    technical: &'static str,
    not_accessible_heading: &'static str,
    /// Known problems, each with the success criterion it fails.
    not_accessible: &'static [&'static str],
    session_timeout: &'static str,
    tested_heading: &'static str,
    tested: &'static [&'static str],
    assessed_on: &'static str,
    updated_on: &'static str,
}

const SV: Texts = Texts {
    title: "Tillgänglighetsredogörelse",
    intro: "Myndigheten som driver den här tjänsten står bakom HR-konsolen för rekryteringskiosken. Vi vill att så många som möjligt ska kunna använda den. Här beskriver vi hur konsolen uppfyller lagen (2018:1937) om tillgänglighet till digital offentlig service, vilka brister vi känner till och hur du kan rapportera problem till oss så att vi kan åtgärda dem.",
    scope: "Redogörelsen gäller HR-konsolen på den här adressen (sidorna under /console), där centrala HR hanterar registreringar, evenemang, surfplattor och loggar. Den gäller inte besökarnas formulär på surfplattorna.",
    status_heading: "Hur tillgänglig är konsolen?",
    status: "Vi vet att vissa delar av konsolen inte är helt tillgängliga. De beskrivs under ”Innehåll som inte är tillgängligt” nedan.",
    alternatives_heading: "Vad kan du göra om du inte kan använda delar av konsolen?",
    alternatives: "Om du behöver innehåll från konsolen i ett annat format, eller hjälp med något som inte fungerar för dig, kontakta oss på adressen nedan.",
    report_heading: "Rapportera brister i konsolens tillgänglighet",
    report: "Vi strävar hela tiden efter att förbättra tillgängligheten. Om du upptäcker problem som inte beskrivs på den här sidan, eller om du tycker att vi inte uppfyller lagens krav, meddela oss så att vi får veta att problemet finns.",
    contact_label: "E-post",
    contact_missing: "Ingen kontaktadress är inställd än. Den som driver reläet ska ange myndighetens adress med inställningen accessibility_contact.",
    supervision_heading: "Tillsyn",
    supervision: "Myndigheten för digital förvaltning (Digg) har ansvaret för tillsyn över lagen om tillgänglighet till digital offentlig service. Om du inte är nöjd med hur vi hanterar dina synpunkter kan du kontakta Digg och påtala det.",
    complaint_link: "Anmäl bristande tillgänglighet till Digg",
    technical_heading: "Teknisk information om konsolens tillgänglighet",
    technical: "Konsolen är delvis förenlig med lagen om tillgänglighet till digital offentlig service, på grund av de brister som beskrivs nedan. Målet är nivå AA i WCAG 2.1 (EN 301 549).",
    not_accessible_heading: "Innehåll som inte är tillgängligt",
    not_accessible: &[
        "QR-koden som registrerar surfplattor är en bild. Skärmläsare får en beskrivning av den men inte dess innehåll; samma kod visas därför också som text att skriva in (WCAG 1.1.1).",
        "Dokument erbjuds inte som PDF. Exporter är CSV- eller JSON-filer, och utskrivbara sidor (som evenemangens slutrapport) är vanliga webbsidor utan särskild formatering för papper.",
        "Surfplattor och underskrifter anges med långa hexadecimala nycklar, som är svåra att läsa upp och att jämföra med skärmläsare.",
    ],
    session_timeout: "Du loggas ut efter {} utan aktivitet, utan varning i förväg och utan möjlighet att förlänga tiden (WCAG 2.2.1). Det du skrivit i ett formulär som inte har skickats sparas inte.",
    tested_heading: "Hur vi testat konsolen",
    tested: &[
        "Vi har själva granskat konsolen (självskattning); ingen extern granskning är gjord.",
        "Automatiska kontroller med axe-core i webbläsartesterna (Chromium) av alla konsolens sidor, på svenska och engelska. Varje fel som axe-core hittar stoppar en ändring.",
        "Tangentbordskontroller i samma tester: länken ”Hoppa till huvudinnehållet” nås först med Tab och flyttar fokus till huvudinnehållet, och efter ett formulär med fel hamnar fokus på listan över felen. Att varje sida går att använda med enbart tangentbord är inte testat automatiskt.",
        "Anpassning till smala skärmar (WCAG 1.4.10): webbläsartesterna öppnar varje sida i konsolen, också de utskrivbara dokumenten, på svenska och engelska med över 30 registreringar, 390 och 1 280 pixlar breda, och kontrollerar att ingen sida behöver rullas i sidled och att axe-core inte hittar några fel. Breda tabeller får rulla i sidled inom en egen ruta, som går att nå och rulla med tangentbordet; resten av sidan radbryts.",
        "Granskning av koden: en h1 per sida och rubriker i ordning, sidans språk (lang), landmärken (sidhuvud, navigering, huvudinnehåll, sidfot), etiketter och felmeddelanden kopplade till formulärfälten, och tabeller med rubrikceller. Konsolen använder inget JavaScript.",
    ],
    assessed_on: "Senaste bedömningen gjordes den {}.",
    updated_on: "Redogörelsen uppdaterades senast den {}.",
};

const EN: Texts = Texts {
    title: "Accessibility statement",
    intro: "The agency that runs this service is responsible for the recruiting kiosk's HR console. We want as many people as possible to be able to use it. This statement describes how the console meets the Swedish Act on accessibility to digital public services (2018:1937), the problems we know of, and how you can report problems to us so that we can fix them.",
    scope: "This statement covers the HR console at this address (the pages under /console), where central HR handles registrations, events, tablets and logs. It does not cover the visitors' form on the tablets.",
    status_heading: "How accessible is the console?",
    status: "We know that some parts of the console are not fully accessible. They are described under “Content that is not accessible” below.",
    alternatives_heading: "What can you do if you cannot use parts of the console?",
    alternatives: "If you need content from the console in another format, or help with something that does not work for you, contact us at the address below.",
    report_heading: "Reporting accessibility problems",
    report: "We are always working to improve accessibility. If you find a problem not described on this page, or think that we do not meet the requirements of the law, tell us so that we know the problem exists.",
    contact_label: "Email",
    contact_missing: "No contact address is set yet. Whoever runs the relay must set the agency's address with the accessibility_contact setting.",
    supervision_heading: "Supervision",
    supervision: "The Agency for Digital Government (Digg) supervises the Act on accessibility to digital public services. If you are not satisfied with how we handle your comments, you can contact Digg and tell them.",
    complaint_link: "Report lacking accessibility to Digg",
    technical_heading: "Technical information about the console's accessibility",
    technical: "The console is partially compliant with the Act on accessibility to digital public services, because of the problems described below. The aim is level AA of WCAG 2.1 (EN 301 549).",
    not_accessible_heading: "Content that is not accessible",
    not_accessible: &[
        "The QR code that enrolls tablets is an image. Screen readers get a description of it but not its content; the same code is therefore also shown as text to type in (WCAG 1.1.1).",
        "Documents are not offered as PDF. Exports are CSV or JSON files, and printable pages (such as an event's closing report) are plain web pages without special formatting for paper.",
        "Tablets and signatures are named by long hexadecimal keys, which are hard to listen to and to compare with a screen reader.",
    ],
    session_timeout: "You are logged out after {} without activity, with no warning beforehand and no way to extend the time (WCAG 2.2.1). What you typed into a form you had not sent is not kept.",
    tested_heading: "How we tested the console",
    tested: &[
        "We reviewed the console ourselves (a self-assessment); no external audit has been made.",
        "Automated checks with axe-core in the browser tests (Chromium) of every console page, in Swedish and English. Any violation axe-core finds stops a change.",
        "Keyboard checks in the same tests: the “Skip to main content” link is reached first with Tab and moves focus to the main content, and after a form with errors the focus is on the list of errors. That every page can be used by keyboard alone is not tested automatically.",
        "Reflow on narrow screens (WCAG 1.4.10): the browser tests open every console page, the printable documents too, in Swedish and English with more than 30 registrations, 390 and 1,280 pixels wide, and check that no page needs scrolling sideways and that axe-core finds no violations. A wide table may scroll sideways inside a box of its own, which can be reached and scrolled with the keyboard; the rest of the page wraps.",
        "Review of the code: one h1 per page and headings in order, the page's language (lang), landmarks (header, navigation, main content, footer), labels and error messages tied to form fields, and tables with header cells. The console uses no JavaScript.",
    ],
    assessed_on: "The latest assessment was made on {}.",
    updated_on: "This statement was last updated on {}.",
};

fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Swedish => &SV,
        Language::English => &EN,
    }
}

/// `template` with each `{}` filled by the next of `values`.
fn fill_all(template: &str, values: &[&str]) -> String {
    values.iter().fold(template.to_owned(), |text, value| {
        text.replacen("{}", value, 1)
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Lang(lang): Lang,
    console: Result<Console, Refusal>,
    uri: Uri,
) -> Response {
    let t = texts(lang);
    let content = statement(lang, t, state.accessibility_contact.as_deref());
    // Anyone may read it; a logged-in user keeps their menu.
    let page = match &console {
        Ok(console) => console.page(t.title, &uri, Nav::None, false),
        Err(_) => Page {
            lang,
            title: t.title,
            uri: &uri,
            signed: None,
            nav: Nav::None,
            has_errors: false,
        },
    };
    html_page(StatusCode::OK, page.render(content))
}

fn statement(lang: Language, t: &Texts, contact: Option<&str>) -> Markup {
    let idle_minutes = crate::hr::plural::amount(
        lang,
        (SESSION_IDLE_MS / 60_000).unsigned_abs(),
        crate::hr::plural::Unit::Minutes,
    );
    html! {
        p { (t.intro) }
        p { (t.scope) }
        section aria-labelledby="status-heading" {
            h2 #status-heading { (t.status_heading) }
            p { (t.status) }
        }
        section aria-labelledby="alternatives-heading" {
            h2 #alternatives-heading { (t.alternatives_heading) }
            p { (t.alternatives) }
        }
        section aria-labelledby="report-heading" {
            h2 #report-heading { (t.report_heading) }
            p { (t.report) }
            @match contact {
                Some(email) => p {
                    (t.contact_label) ": "
                    a href={ "mailto:" (email) } { (email) }
                },
                None => p { strong { (t.contact_missing) } },
            }
        }
        section aria-labelledby="supervision-heading" {
            h2 #supervision-heading { (t.supervision_heading) }
            p { (t.supervision) }
            p { a href=(DIGG_COMPLAINT_URL) { (t.complaint_link) } }
        }
        section aria-labelledby="technical-heading" {
            h2 #technical-heading { (t.technical_heading) }
            p { (t.technical) }
            h3 { (t.not_accessible_heading) }
            ul {
                @for problem in t.not_accessible {
                    li { (problem) }
                }
                li { (fill_all(t.session_timeout, &[&idle_minutes])) }
            }
        }
        section aria-labelledby="tested-heading" {
            h2 #tested-heading { (t.tested_heading) }
            ul {
                @for how in t.tested {
                    li { (how) }
                }
            }
            p { (fill_all(t.assessed_on, &[STATEMENT_DATE])) }
            p { (fill_all(t.updated_on, &[STATEMENT_DATE])) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_list_the_same_known_problems_and_tests() {
        assert_eq!(SV.not_accessible.len(), EN.not_accessible.len());
        assert_eq!(SV.tested.len(), EN.tested.len());
        for t in [&SV, &EN] {
            assert_eq!(t.session_timeout.matches("{}").count(), 1);
            assert_eq!(t.assessed_on.matches("{}").count(), 1);
        }
    }
}
