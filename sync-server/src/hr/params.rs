//! The query-string parameters of the HR API's lists: each refusal is a `BadFilter` that
//! names the parameter first (`"limit: 1–500"`), as the console maps it to its field.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

use axum::Json;
use axum::extract::rejection::JsonRejection;

use crate::error::AppError;

/// The largest body HR's API and console forms take: an event with its form is the largest
/// (four notices of up to 5,000 characters, three lists of up to 100 choices; a form posts
/// `å` as six bytes).
pub const HR_BODY_LIMIT: usize = 256 * 1024;

/// The body as `T`, or a clear error naming what was wrong with it.
pub(crate) fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    body.map(|Json(b)| b)
        .map_err(|rejection| AppError::BadBody(rejection.body_text()))
}

/// The refusal of parameter `name`, saying what it must be.
pub(crate) fn bad_filter(name: &str, what: &str) -> AppError {
    AppError::BadFilter(format!("{name}: {what}"))
}

/// Refuses a query holding a parameter not among `known`, naming it and saying `what`.
pub(crate) fn only_known(
    query: &HashMap<String, String>,
    known: &[&str],
    what: &str,
) -> Result<(), AppError> {
    match query.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(bad_filter(unknown, what)),
        None => Ok(()),
    }
}

/// Parameter `name` as a moment in milliseconds since 1970, if given.
pub(crate) fn millis(query: &HashMap<String, String>, name: &str) -> Result<Option<i64>, AppError> {
    query
        .get(name)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| bad_filter(name, "milliseconds since 1970"))
        })
        .transpose()
}

/// The page size `limit` asks for, 1 to `max`; `default` without it.
pub(crate) fn limit<T>(query: &HashMap<String, String>, default: T, max: T) -> Result<T, AppError>
where
    T: FromStr + PartialOrd + From<u8> + Display + Copy,
{
    match query.get("limit") {
        None => Ok(default),
        Some(v) => v
            .parse::<T>()
            .ok()
            .filter(|n| (T::from(1)..=max).contains(n))
            .ok_or_else(|| bad_filter("limit", &format!("1–{max}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn message(error: AppError) -> String {
        match error {
            AppError::BadFilter(message) => message,
            other => panic!("not a filter's refusal: {other:?}"),
        }
    }

    #[test]
    fn each_refusal_names_its_parameter_first() {
        let q = query(&[("from", "yesterday"), ("limit", "0")]);
        assert_eq!(
            message(only_known(&q, &["from"], "not a filter").expect_err("unknown")),
            "limit: not a filter"
        );
        assert!(only_known(&q, &["from", "limit"], "not a filter").is_ok());
        assert_eq!(
            message(millis(&q, "from").expect_err("not ms")),
            "from: milliseconds since 1970"
        );
        assert_eq!(millis(&q, "to").expect("absent"), None);
        assert_eq!(
            message(limit(&q, 50_u32, 500).expect_err("zero")),
            "limit: 1–500"
        );
        assert_eq!(
            limit(&query(&[("limit", "500")]), 50_usize, 500).expect("max"),
            500
        );
        assert_eq!(limit(&query(&[]), 50_u32, 500).expect("default"), 50);
    }
}
