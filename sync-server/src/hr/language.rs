//! The language an HR page or printable document is asked in: the query's `lang`, else the
//! `kiosk_lang` cookie the console sets, else Swedish. The console's pages and the API's
//! printable answers (`?format=html`) read it the same way.

use axum::extract::FromRequestParts;
use axum::http::Uri;
use axum::http::request::Parts;
use kiosk_core::language::Language;

/// The language cookie's name.
pub const LANG_COOKIE: &str = "kiosk_lang";

/// The language a query's `lang` asks for, if it names one.
pub(crate) fn asked_language(uri: &Uri) -> Option<Language> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query()?).ok()?;
    pairs
        .iter()
        .find(|(name, _)| name == "lang")
        .and_then(|(_, tag)| Language::from_tag(tag))
}

/// The page's language: the query's `lang`, else the `kiosk_lang` cookie, else Swedish.
pub(crate) fn language_of(parts: &Parts) -> Language {
    asked_language(&parts.uri)
        .or_else(|| {
            crate::hr::sessions::cookie(&parts.headers, LANG_COOKIE).and_then(Language::from_tag)
        })
        .unwrap_or(Language::Swedish)
}

/// The language of the page being asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lang(pub Language);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Self::Rejection> {
        Ok(Lang(language_of(parts)))
    }
}
