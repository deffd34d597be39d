//! The frame every console page shares: `<html lang>`, a skip link, the header with the
//! language switch and (logged in) the menu and logout, one `<main>` holding the page's
//! single `h1`; and the form pieces that keep labels, hints and errors tied together for
//! screen readers.

use axum::http::Uri;
use kiosk_core::language::Language;
use maud::{DOCTYPE, Markup, html};

use super::texts::{Texts, texts};
use crate::hr::policy::Reach;

/// The console's stylesheet, served from `/console/console.css`.
pub(crate) const STYLESHEET: &str = include_str!("console.css");

/// Which menu entry a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    None,
    Registrations,
    /// Restricted records, for users with the clearance.
    Restricted,
    Events,
    Devices,
    Users,
    Export,
    Quarantine,
    AccessLog,
    /// Retention rules, runs and legal holds (archivists).
    Retention,
    /// Captured against received, per event and tablet (admins and archivists).
    Reconciliation,
    SubjectAccess,
    Disclosure,
    /// Visitors' requests from their receipt page (archivists).
    VisitorRequests,
    Password,
}

/// The logged-in user as the frame shows them.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub display_name: String,
    /// The session's CSRF token, for the logout form.
    pub csrf: String,
    /// Still on a one-time password: the menu offers only the password page.
    pub must_change_password: bool,
    /// The menu offers what the policy lets the user reach.
    pub reach: Reach,
}

/// One field's error, or a form's error that belongs to no one field (`field: None`).
#[derive(Debug, Clone)]
pub(crate) struct FieldError {
    pub field: Option<&'static str>,
    pub message: String,
}

impl FieldError {
    pub fn on(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn form(message: impl Into<String>) -> FieldError {
        FieldError {
            field: None,
            message: message.into(),
        }
    }
}

/// The error of `field` among `errors`.
pub(crate) fn error_of<'e>(errors: &'e [FieldError], field: &str) -> Option<&'e str> {
    errors
        .iter()
        .find(|e| e.field == Some(field))
        .map(|e| e.message.as_str())
}

/// What the frame needs to know about a page.
#[derive(Debug)]
pub(crate) struct Page<'a> {
    pub lang: Language,
    /// The `h1` and, after the app's name, the `<title>`.
    pub title: &'a str,
    /// The page's address, for the language switch (which keeps its query).
    pub uri: &'a Uri,
    pub signed: Option<&'a Signed>,
    pub nav: Nav,
    /// The page shows errors: its title says so first, as screen readers read it first.
    pub has_errors: bool,
}

impl Page<'_> {
    pub fn render(&self, content: Markup) -> Markup {
        let t = texts(self.lang);
        let other = match self.lang {
            Language::Swedish => Language::English,
            Language::English => Language::Swedish,
        };
        let prefix = if self.has_errors { t.error_prefix } else { "" };
        html! {
            (DOCTYPE)
            html lang=(self.lang.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (prefix) (self.title) " – " (t.app_name) }
                    link rel="stylesheet" href="/console/console.css";
                }
                body {
                    a.skip-link href="#main" { (t.skip_link) }
                    header.site-header {
                        div.header-row {
                            p.app-name { (t.app_name) }
                            nav aria-label=(t.language_nav) {
                                a href=(switch_href(self.uri, other)) lang=(other.tag()) hreflang=(other.tag()) {
                                    (t.other_language)
                                }
                            }
                        }
                        @if let Some(signed) = self.signed {
                            (menu(t, signed, self.nav))
                        }
                    }
                    main #main tabindex="-1" {
                        h1 { (self.title) }
                        (content)
                    }
                    (footer(self.lang))
                }
            }
        }
    }
}

/// The footer every console page ends with, logged in or not: the law on accessible public
/// digital services asks for the accessibility statement to be reachable from every page.
pub(crate) fn footer(lang: Language) -> Markup {
    let t = texts(lang);
    html! {
        footer.site-footer {
            nav aria-label=(t.footer_nav) {
                a href={ "/console/accessibility?lang=" (lang.tag()) } { (t.accessibility_statement) }
            }
        }
    }
}

fn menu(t: &Texts, signed: &Signed, current: Nav) -> Markup {
    let entry = |nav: Nav, href: &str, label: &str| {
        html! {
            li {
                @if nav == current {
                    a href=(href) aria-current="page" { (label) }
                } @else {
                    a href=(href) { (label) }
                }
            }
        }
    };
    html! {
        div.header-row.menu-row {
            nav aria-label=(t.main_nav) {
                ul.menu {
                    // What a one-time password leaves open is the policy's too: nothing.
                    @let reach = signed.reach;
                    @if reach.registrations {
                        (entry(Nav::Registrations, "/console/registrations", t.nav_registrations))
                    }
                    @if reach.restricted_inbox {
                        (entry(Nav::Restricted, "/console/restricted", t.nav_restricted))
                    }
                    @if reach.events {
                        (entry(Nav::Events, "/console/events", t.nav_events))
                    }
                    @if reach.devices {
                        (entry(Nav::Devices, "/console/devices", t.nav_devices))
                    }
                    @if reach.users {
                        (entry(Nav::Users, "/console/users", t.nav_users))
                    }
                    @if reach.export {
                        (entry(Nav::Export, "/console/export", t.nav_export))
                    }
                    @if reach.quarantine {
                        (entry(Nav::Quarantine, "/console/quarantine", t.nav_quarantine))
                    }
                    @if reach.access_log {
                        (entry(Nav::AccessLog, "/console/access-log", t.nav_access_log))
                    }
                    @if reach.retention {
                        (entry(Nav::Retention, "/console/retention", t.nav_retention))
                    }
                    @if reach.subject_access {
                        (entry(Nav::SubjectAccess, "/console/subject-access", t.nav_subject_access))
                    }
                    @if reach.disclosure {
                        (entry(Nav::Disclosure, "/console/disclosure", t.nav_disclosure))
                    }
                    @if reach.reconciliation {
                        (entry(Nav::Reconciliation, "/console/reconciliation", t.nav_reconciliation))
                    }
                    // Archivists, as retention: they answer for the records.
                    @if reach.retention {
                        (entry(Nav::VisitorRequests, "/console/visitor-requests", t.nav_visitor_requests))
                    }
                    (entry(Nav::Password, "/console/password", t.nav_password))
                }
            }
            div.signed-in {
                span { (t.signed_in_as) " " strong { (signed.display_name) } }
                form method="post" action="/console/logout" {
                    input type="hidden" name="csrf_token" value=(signed.csrf);
                    button.link-button type="submit" { (t.logout) }
                }
            }
        }
    }
}

/// The address of this page in `lang`: its path and query with `lang` set.
fn switch_href(uri: &Uri, lang: Language) -> String {
    let mut pairs: Vec<(String, String)> = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    pairs.retain(|(name, _)| name != "lang");
    pairs.push(("lang".into(), lang.tag().into()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", uri.path())
}

/// The list of a form's errors at its top, announced when the page loads; each links to
/// its field. Every console form shows its errors through this one component.
pub(crate) fn error_summary(lang: Language, errors: &[FieldError]) -> Markup {
    let items: Vec<(Option<&str>, &str)> = errors
        .iter()
        .map(|e| (e.field, e.message.as_str()))
        .collect();
    error_summary_of(lang, &items)
}

/// [`error_summary`] for errors whose anchors are made at run time (a field of one row of
/// a list): `(anchor, message)`, the anchor `None` for an error of the whole form.
///
/// The summary takes the focus when the page loads (`autofocus` on a `tabindex="-1"`
/// container): after a failed submit the keyboard and the screen reader start at the
/// errors, not at the top of the page. No script is needed, so the content policy stays
/// `script-src`-free; `role="alert"` still announces it where focus is not moved.
pub(crate) fn error_summary_of(lang: Language, errors: &[(Option<&str>, &str)]) -> Markup {
    let t = texts(lang);
    html! {
        @if !errors.is_empty() {
            div.error-summary #error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus {
                h2 #error-summary-title { (t.error_summary) }
                ul {
                    @for (anchor, message) in errors {
                        li {
                            @if let Some(anchor) = anchor {
                                a href={ "#" (anchor) } { (message) }
                            } @else {
                                (message)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A table's head: a row of column headers, one a label, in order.
pub(crate) fn column_heads(labels: &[&str]) -> Markup {
    html! {
        thead {
            tr {
                @for label in labels {
                    th scope="col" { (label) }
                }
            }
        }
    }
}

/// A table in a region of its own that scrolls sideways when the table is wider than the
/// screen, so the page itself never does (WCAG 1.4.10, reflow: a data table may scroll in
/// two directions, the page may not). The region takes keyboard focus so it can be scrolled
/// without a mouse, and is named after the table, as a screen reader announces it.
pub(crate) fn table_region(name: &str, table: Markup) -> Markup {
    html! {
        div.table-region role="region" tabindex="0" aria-label=(name) { (table) }
    }
}

/// A notice announced politely when the page loads (logged out, session expired).
pub(crate) fn notice(message: &str) -> Markup {
    html! {
        div.notice role="status" { p { (message) } }
    }
}

/// A labelled input with its hint and error tied to it by `aria-describedby`.
#[derive(Debug)]
pub(crate) struct Field<'a> {
    pub id: &'static str,
    pub label: &'a str,
    pub kind: &'static str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub error: Option<&'a str>,
    pub autocomplete: Option<&'static str>,
    pub required: bool,
}

impl<'a> Field<'a> {
    pub fn new(id: &'static str, label: &'a str, kind: &'static str) -> Field<'a> {
        Field {
            id,
            label,
            kind,
            value: "",
            hint: None,
            error: None,
            autocomplete: None,
            required: false,
        }
    }

    pub fn render(&self, lang: Language) -> Markup {
        let hint_id = format!("{}-hint", self.id);
        let error_id = format!("{}-error", self.id);
        let described = [
            self.hint.map(|_| hint_id.as_str()),
            self.error.map(|_| error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        html! {
            div.field.field-error[self.error.is_some()] {
                label for=(self.id) { (self.label) }
                @if let Some(hint) = self.hint {
                    p.hint #(hint_id) { (hint) }
                }
                @if let Some(error) = self.error {
                    p.error-message #(error_id) {
                        span.visually-hidden { (texts(lang).error_label) " " }
                        (error)
                    }
                }
                input #(self.id) name=(self.id) type=(self.kind) value=(self.value)
                    autocomplete=[self.autocomplete]
                    required[self.required]
                    aria-invalid=[self.error.map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
            }
        }
    }
}

/// A labelled `<select>` of `(value, label)` options with its error tied to it.
pub(crate) fn select(
    lang: Language,
    id: &'static str,
    label: &str,
    options: &[(&str, &str)],
    chosen: &str,
    error: Option<&str>,
) -> Markup {
    let error_id = format!("{id}-error");
    html! {
        div.field.field-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(error) = error {
                p.error-message #(error_id) {
                    span.visually-hidden { (texts(lang).error_label) " " }
                    (error)
                }
            }
            select #(id) name=(id)
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())] {
                @for (value, text) in options {
                    option value=(value) selected[*value == chosen] { (text) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_summary_takes_the_focus_and_links_each_field_error() {
        let errors = [
            FieldError::on("value", "Uppgiften har inte rätt form."),
            FieldError::form("Något annat gick fel."),
        ];
        let html = error_summary(Language::Swedish, &errors).into_string();
        // Focusable by script-free autofocus, but no tab stop of its own.
        assert!(html.contains(r#"id="error-summary""#), "{html}");
        assert!(html.contains(r#"tabindex="-1""#), "{html}");
        assert!(html.contains(" autofocus"), "{html}");
        assert!(html.contains(r#"role="alert""#), "{html}");
        assert!(
            html.contains(r##"<a href="#value">Uppgiften har inte rätt form.</a>"##),
            "{html}"
        );
        assert!(html.contains("<li>Något annat gick fel.</li>"), "{html}");
        assert!(
            error_summary(Language::English, &[])
                .into_string()
                .is_empty()
        );
    }

    #[test]
    fn a_table_region_is_named_focusable_and_scrolls_its_table() {
        let html = table_region("Registreringar", html! { table {} }).into_string();
        assert_eq!(
            html,
            r#"<div class="table-region" role="region" tabindex="0" aria-label="Registreringar"><table></table></div>"#
        );
    }
}
