//! Reading a posted visitor form into a draft, with bounds: the body's size is limited by
//! the router, each value and each list here; an unknown, repeated or missing control is
//! refused whole, since the shell's own page never sends one. Nothing read here is logged.

use kiosk_ffi::types::RegistrationDraft;

use crate::form_body;

/// The largest form post the shell reads (the router refuses more, unread).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The largest single value: far above any field's own limit (the core's validation says
/// "too long" in the visitor's language below this), far below anything costly.
const MAX_VALUE_BYTES: usize = 8 * 1024;
/// The most ticked boxes in one list.
const MAX_LIST_ITEMS: usize = 64;

/// What the visitor asked for with the button they pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Send,
    /// Switch to the protected-personal-data path, keeping what was typed.
    Protected,
    /// Back to the ordinary path.
    Ordinary,
    /// Switch the form's language, keeping what was typed.
    SwitchLanguage,
}

/// A posted form: which visit and form it answers, the button, the answers.
#[derive(Debug)]
pub struct PostedForm {
    pub token: String,
    pub form_version: String,
    pub intent: Intent,
    pub draft: RegistrationDraft,
}

impl Drop for PostedForm {
    fn drop(&mut self) {
        // A refused or superseded post still held a visitor's answers.
        crate::state::wipe(&mut self.draft);
    }
}

/// Why a post is not a form the shell's page could have sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("the body is not a form")]
    NotAForm,
    #[error("a value is too long")]
    TooLong,
    #[error("a list has too many items")]
    TooManyItems,
    #[error("a control the page does not have was sent")]
    Unexpected,
    #[error("a control was sent twice")]
    Repeated,
    #[error("the page's token or form version is missing")]
    Missing,
}

impl PostError {
    /// What was wrong, for the visitor: Swedish, English. Names the problem, never a value.
    pub fn explanation(self) -> (&'static str, &'static str) {
        match self {
            PostError::NotAForm => (
                "Det som kom var inte ett ifyllt formulär (fel format eller teckenkodning).",
                "What arrived was not a filled-in form (wrong format or character encoding).",
            ),
            PostError::TooLong => (
                "Ett av svaren var alldeles för långt.",
                "One of the answers was far too long.",
            ),
            PostError::TooManyItems => (
                "En lista hade alldeles för många val.",
                "A list had far too many choices.",
            ),
            PostError::Unexpected => (
                "Det fanns ett fält med som formuläret inte har.",
                "It held a field the form does not have.",
            ),
            PostError::Repeated => ("Samma fält kom två gånger.", "The same field came twice."),
            PostError::Missing => (
                "Sidans besöksnummer eller formulärversion saknades.",
                "The page's visit number or form version was missing.",
            ),
        }
    }
}

/// Whether a `Content-Type` names a URL-encoded form, the only kind the form page sends.
pub fn is_form_content_type(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Reads a posted form.
pub fn read(body: &[u8]) -> Result<PostedForm, PostError> {
    let pairs = decode(body)?;
    let mut token = None;
    let mut form_version = None;
    let mut intent = None;
    let mut draft = RegistrationDraft::default();
    let mut seen = Vec::<&'static str>::new();
    let mut once = |name: &'static str| {
        if seen.contains(&name) {
            return Err(PostError::Repeated);
        }
        seen.push(name);
        Ok(())
    };
    for (name, value) in pairs {
        if value.len() > MAX_VALUE_BYTES {
            return Err(PostError::TooLong);
        }
        match name.as_str() {
            "token" => {
                once("token")?;
                token = Some(value);
            }
            "form_version" => {
                once("form_version")?;
                form_version = Some(value);
            }
            "intent" => {
                once("intent")?;
                intent = Some(match value.as_str() {
                    "send" => Intent::Send,
                    "protected" => Intent::Protected,
                    "ordinary" => Intent::Ordinary,
                    "language" => Intent::SwitchLanguage,
                    _ => return Err(PostError::Unexpected),
                });
            }
            "given_name" => {
                once("given_name")?;
                draft.given_name = value;
            }
            "family_name" => {
                once("family_name")?;
                draft.family_name = value;
            }
            "email" => {
                once("email")?;
                draft.email = value;
            }
            "phone" => {
                once("phone")?;
                draft.phone = value;
            }
            "education_level" => {
                once("education_level")?;
                draft.education_level = value;
            }
            "free_text" => {
                once("free_text")?;
                draft.free_text = value;
            }
            "privacy_notice_acknowledged" => {
                once("privacy_notice_acknowledged")?;
                draft.privacy_notice_acknowledged = value == "yes";
            }
            "talent_pool_opt_in" => {
                once("talent_pool_opt_in")?;
                draft.talent_pool_opt_in = value == "yes";
            }
            "interests" => push_bounded(&mut draft.interests, value)?,
            "locations" => push_bounded(&mut draft.locations, value)?,
            _ => return Err(PostError::Unexpected),
        }
    }
    let (Some(token), Some(form_version)) = (token, form_version) else {
        return Err(PostError::Missing);
    };
    Ok(PostedForm {
        token,
        form_version,
        // Enter in a text field submits without naming a button: that is sending.
        intent: intent.unwrap_or(Intent::Send),
        draft,
    })
}

/// The body's names and values, decoded.
fn decode(body: &[u8]) -> Result<Vec<(String, String)>, PostError> {
    let not_a_form = |_| PostError::NotAForm;
    form_body::raw_pairs(body)
        .map_err(not_a_form)?
        .map(|(name, value)| {
            Ok((
                form_body::decode(name).map_err(not_a_form)?,
                form_body::decode(value).map_err(not_a_form)?,
            ))
        })
        .collect()
}

fn push_bounded(list: &mut Vec<String>, value: String) -> Result<(), PostError> {
    if list.len() >= MAX_LIST_ITEMS {
        return Err(PostError::TooManyItems);
    }
    if !list.contains(&value) {
        list.push(value);
    }
    Ok(())
}

/// Reads just the token of a small post (activity, reset, start over).
pub fn read_token(body: &[u8]) -> Option<String> {
    if body.len() > 1024 {
        return None;
    }
    let pairs = decode(body).ok()?;
    let mut tokens = pairs.into_iter().filter(|(name, _)| name == "token");
    let (_, token) = tokens.next()?;
    tokens.next().is_none().then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_form_becomes_a_draft_with_lists_in_order() {
        let posted = read(
            b"token=t&form_version=v&intent=send&given_name=%C3%85sa&family_name=Berg\
              &email=asa%40example.se&interests=it&interests=juridik&locations=malmo\
              &privacy_notice_acknowledged=yes&talent_pool_opt_in=yes",
        )
        .expect("a form");
        assert_eq!(posted.intent, Intent::Send);
        assert_eq!(posted.draft.given_name, "Åsa");
        assert_eq!(posted.draft.interests, ["it", "juridik"]);
        assert!(posted.draft.privacy_notice_acknowledged);
        assert!(posted.draft.talent_pool_opt_in);
        assert!(!posted.draft.protected_personal_data);
    }

    #[test]
    fn unchecked_boxes_are_absent_and_read_as_no() {
        let posted = read(b"token=t&form_version=v&given_name=A").expect("a form");
        assert!(!posted.draft.privacy_notice_acknowledged);
        assert!(!posted.draft.talent_pool_opt_in);
        assert_eq!(posted.intent, Intent::Send, "Enter in a field sends");
    }

    #[test]
    fn forms_the_page_cannot_send_are_refused_whole() {
        assert_eq!(
            read(b"form_version=v").expect_err("refused"),
            PostError::Missing
        );
        assert_eq!(
            read(b"token=t&form_version=v&admin=1").expect_err("refused"),
            PostError::Unexpected
        );
        assert_eq!(
            read(b"token=t&form_version=v&given_name=a&given_name=b").expect_err("refused"),
            PostError::Repeated
        );
        assert_eq!(
            read(b"token=t&form_version=v&intent=delete").expect_err("refused"),
            PostError::Unexpected
        );
        let long = format!("token=t&form_version=v&free_text={}", "a".repeat(9_000));
        assert_eq!(
            read(long.as_bytes()).expect_err("refused"),
            PostError::TooLong
        );
        let many: String = (0..65).map(|i| format!("&interests=x{i}")).collect();
        let body = format!("token=t&form_version=v{many}");
        assert_eq!(
            read(body.as_bytes()).expect_err("refused"),
            PostError::TooManyItems
        );
        assert_eq!(
            read(&[0xff, 0xfe, b'=']).expect_err("refused"),
            PostError::NotAForm
        );
    }

    #[test]
    fn only_a_url_encoded_body_is_a_form() {
        assert!(is_form_content_type(Some(
            "application/x-www-form-urlencoded"
        )));
        assert!(is_form_content_type(Some(
            "Application/X-WWW-Form-Urlencoded; charset=UTF-8"
        )));
        assert!(!is_form_content_type(Some("application/json")));
        assert!(!is_form_content_type(Some(
            "multipart/form-data; boundary=x"
        )));
        assert!(!is_form_content_type(None));
    }

    #[test]
    fn a_small_post_names_one_token() {
        assert_eq!(read_token(b"token=abc").as_deref(), Some("abc"));
        assert_eq!(read_token(b"token=a&token=b"), None);
        assert_eq!(read_token(b"other=1"), None);
    }
}
