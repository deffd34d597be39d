//! The one reading of an `application/x-www-form-urlencoded` body that visitor and staff
//! posts share: split into raw pairs, and decode a part strictly, refusing what is not
//! UTF-8 once decoded (a browser never sends that; a lossy decoding would put replacement
//! characters into a visitor's name). Bounds and which controls are allowed are the
//! callers'.

/// The body is not a URL-encoded form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAForm;

/// The body's `name=value` pairs, still encoded (so a caller can bound a value's length
/// before decoding it).
pub fn raw_pairs(body: &[u8]) -> Result<impl Iterator<Item = (&str, &str)>, NotAForm> {
    let text = std::str::from_utf8(body).map_err(|_| NotAForm)?;
    Ok(text
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, ""))))
}

/// One encoded name or value, decoded: `+` is a space, `%XX` a byte, and the bytes UTF-8.
pub fn decode(part: &str) -> Result<String, NotAForm> {
    let spaced = part.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| NotAForm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_decode_strictly() {
        assert_eq!(decode("%C3%85sa+Berg").as_deref(), Ok("Åsa Berg"));
        assert_eq!(decode("%FF%FE"), Err(NotAForm));
        let pairs: Vec<_> = raw_pairs(b"a=1&&b&c=%20").expect("a form").collect();
        assert_eq!(pairs, [("a", "1"), ("b", ""), ("c", "%20")]);
        assert!(raw_pairs(&[0xff]).is_err());
    }
}
