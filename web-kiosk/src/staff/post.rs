//! Reading a staff post: a small `application/x-www-form-urlencoded` body with only the
//! controls the page has, each at most once and within a size; anything else is refused
//! whole, since the shell's own page never sends it. Nothing read here is logged: a post
//! may hold a PIN, an enrollment code or a note.

use zeroize::Zeroize;

use crate::form_body;

/// The largest value staff may send (a note of 2,000 characters, each up to 4 bytes).
const MAX_VALUE_BYTES: usize = 8 * 1024;

/// The controls of one post, by name. Values are overwritten when dropped: a post may hold
/// a PIN.
#[derive(Debug, Default)]
pub struct Posted {
    pairs: Vec<(&'static str, String)>,
}

impl Drop for Posted {
    fn drop(&mut self) {
        for (_, value) in &mut self.pairs {
            value.zeroize();
        }
    }
}

/// Why a post is not one a staff page could have sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("the body is not a form")]
    NotAForm,
    #[error("a value is too long")]
    TooLong,
    #[error("a control the page does not have was sent")]
    Unexpected,
    #[error("a control was sent twice")]
    Repeated,
}

impl Posted {
    /// The value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Takes the value of `name` out (to hand it on without a copy).
    pub fn take(&mut self, name: &str) -> Option<String> {
        let index = self.pairs.iter().position(|(n, _)| *n == name)?;
        Some(std::mem::take(&mut self.pairs[index].1))
    }
}

/// Reads `body`, accepting only the controls named in `allowed`.
pub fn read(body: &[u8], allowed: &[&'static str]) -> Result<Posted, PostError> {
    let mut posted = Posted::default();
    for (name, value) in form_body::raw_pairs(body).map_err(|_| PostError::NotAForm)? {
        if value.len() > 3 * MAX_VALUE_BYTES {
            return Err(PostError::TooLong);
        }
        let name = decode(name)?;
        let Some(known) = allowed.iter().copied().find(|a| *a == name) else {
            return Err(PostError::Unexpected);
        };
        if posted.get(known).is_some() {
            return Err(PostError::Repeated);
        }
        let value = decode(value)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(PostError::TooLong);
        }
        posted.pairs.push((known, value));
    }
    Ok(posted)
}

fn decode(part: &str) -> Result<String, PostError> {
    form_body::decode(part).map_err(|_| PostError::NotAForm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pages_controls_are_read_each_once() {
        let posted =
            read(b"token=abc&note=Hej+d%C3%A4r", &["token", "note", "lang"]).expect("a staff post");
        assert_eq!(posted.get("note"), Some("Hej där"));
        assert_eq!(posted.get("lang"), None);
        assert_eq!(
            read(b"token=a&admin=1", &["token"]).expect_err("refused"),
            PostError::Unexpected
        );
        assert_eq!(
            read(b"token=a&token=b", &["token"]).expect_err("refused"),
            PostError::Repeated
        );
        let long = format!("note={}", "a".repeat(9_000));
        assert_eq!(
            read(long.as_bytes(), &["note"]).expect_err("refused"),
            PostError::TooLong
        );
        assert_eq!(
            read(&[0xff, b'='], &["note"]).expect_err("refused"),
            PostError::NotAForm
        );
    }
}
