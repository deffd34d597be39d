//! When HR's search text names one whole value a registration has (a receipt code read
//! out at the desk, an email address copied from a letter) rather than part of one, and how
//! a list decides between the two, for every store backend alike.
//!
//! A backend finds a whole value through an index of its own, in about a millisecond,
//! where matching parts reads every candidate row (on PostgreSQL, opening each one's sealed
//! search text). The search means the whole value when some row the list's other
//! conditions select has it; that is asked from the list's first page, not the page at
//! hand, so every page of one search reads the same way (a later page of an address's
//! rows never turns into a search for parts of it) while the backend can look the value up
//! (PostgreSQL cannot while some row's address is not tagged; a page read then matches
//! parts, which finds every row the value's index would and maybe more).

use crate::storage::model::RegistrationFilter;

/// A whole value a search text may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExactSearch {
    /// A receipt code in its normal spelling (`7J8D-AV6F`).
    Receipt(String),
    /// An email address, trimmed and in lower case (as the list index keeps it).
    Email(String),
}

impl ExactSearch {
    /// The whole values `typed` may name, in the order they are tried: a receipt code only
    /// when typed with its dash or a space (`7j8d av6f`, as heard), since eight letters
    /// alone are as likely part of a name; an address when it holds an `@` and no space.
    pub fn candidates(typed: &str) -> Vec<ExactSearch> {
        let typed = typed.trim();
        let mut out = Vec::new();
        if typed.contains(['-', ' '])
            && let Some(code) = kiosk_core::capture::receipt_code::normalize(typed)
        {
            out.push(ExactSearch::Receipt(code));
        }
        if typed.contains('@') && !typed.contains(char::is_whitespace) {
            out.push(ExactSearch::Email(typed.to_lowercase()));
        }
        out
    }
}

/// The page `filter` selects, read by `list`: with `Some(value)` for the first whole value
/// of its search that some row under its conditions has, else with `None` (its search
/// matched as parts, a phone number's as [`crate::rules::phone_search`] writes it; also a
/// list without a search). Given a value, `list` answers `filter`'s page of the rows with
/// it, or nothing when the backend cannot look the value up (then parts are matched).
/// `T` is whatever a page holds (rows, or their keys).
pub fn list_searched<T, E>(
    filter: &RegistrationFilter,
    mut list: impl FnMut(&RegistrationFilter, Option<&ExactSearch>) -> Result<Vec<T>, E>,
) -> Result<Vec<T>, E> {
    let Some(typed) = &filter.search else {
        return list(filter, None);
    };
    for value in ExactSearch::candidates(typed) {
        if filter.after.is_none() && filter.offset == 0 {
            // The first page is its own probe.
            let page = list(filter, Some(&value))?;
            if !page.is_empty() {
                return Ok(page);
            }
            continue;
        }
        let first_page = RegistrationFilter {
            after: None,
            offset: 0,
            limit: 1,
            ..filter.clone()
        };
        if !list(&first_page, Some(&value))?.is_empty() {
            return list(filter, Some(&value));
        }
    }
    list(&as_parts(filter), None)
}

/// How many rows `filter` selects, counted by `count` with the whole value its search names
/// (as [`list_searched`] decides) or with `None` for parts.
pub fn count_searched<E>(
    filter: &RegistrationFilter,
    mut count: impl FnMut(&RegistrationFilter, Option<&ExactSearch>) -> Result<u64, E>,
) -> Result<u64, E> {
    let Some(typed) = &filter.search else {
        return count(filter, None);
    };
    for value in ExactSearch::candidates(typed) {
        let found = count(filter, Some(&value))?;
        if found > 0 {
            return Ok(found);
        }
    }
    count(&as_parts(filter), None)
}

/// `filter` with its search text as parts are matched: a phone number's digits in
/// international form, other text as typed.
fn as_parts(filter: &RegistrationFilter) -> RegistrationFilter {
    RegistrationFilter {
        search: filter
            .search
            .as_deref()
            .map(crate::rules::phone_search::normalized),
        ..filter.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::model::RegistrationSummary;

    fn row(id: &str, captured_at: i64) -> RegistrationSummary {
        RegistrationSummary {
            id: id.into(),
            event_id: "e".into(),
            captured_at,
            given_name: String::new(),
            family_name: String::new(),
            receipt_code: String::new(),
            status: "new".into(),
            talent_pool: false,
            restricted: false,
            interests: Vec::new(),
            locations: Vec::new(),
        }
    }

    /// Rows 3, 2, 1 have the address; parts of it would also match row 9.
    fn lists(
        filter: &RegistrationFilter,
    ) -> (
        Vec<RegistrationSummary>,
        std::cell::RefCell<Vec<ExactSearch>>,
    ) {
        let asked = std::cell::RefCell::new(Vec::new());
        let page = list_searched::<_, ()>(filter, |f, value| {
            let Some(value) = value else {
                return Ok(vec![row("9", 9)]);
            };
            asked.borrow_mut().push(value.clone());
            let rows = match value {
                ExactSearch::Email(address) if address == "anna@example.se" => {
                    vec![row("3", 3), row("2", 2), row("1", 1)]
                }
                _ => Vec::new(),
            };
            Ok(rows
                .into_iter()
                .filter(|r| f.after.as_ref().is_none_or(|(at, _)| r.captured_at < *at))
                .take(f.limit as usize)
                .collect())
        })
        .expect("lists");
        (page, asked)
    }

    fn searching(text: &str, after: Option<i64>) -> RegistrationFilter {
        RegistrationFilter {
            search: Some(text.into()),
            after: after.map(|at| (at, at.to_string())),
            limit: 2,
            ..RegistrationFilter::default()
        }
    }

    fn ids(rows: &[RegistrationSummary]) -> Vec<&str> {
        rows.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn every_page_of_a_whole_address_reads_that_address_and_never_turns_into_parts() {
        let (first, _) = lists(&searching(" Anna@Example.se ", None));
        assert_eq!(ids(&first), ["3", "2"]);
        let (second, _) = lists(&searching("anna@example.se", Some(2)));
        assert_eq!(ids(&second), ["1"]);
        // Past the last row: the end of the address's rows, not a search for its parts.
        let (past, _) = lists(&searching("anna@example.se", Some(1)));
        assert!(past.is_empty(), "{:?}", ids(&past));
    }

    #[test]
    fn an_address_no_row_has_and_text_without_a_whole_value_match_parts() {
        let (unknown, asked) = lists(&searching("nobody@example.se", None));
        assert_eq!(ids(&unknown), ["9"]);
        assert_eq!(
            asked.into_inner(),
            [ExactSearch::Email("nobody@example.se".into())]
        );
        let (name, asked) = lists(&searching("Anna", None));
        assert_eq!(ids(&name), ["9"]);
        assert!(asked.into_inner().is_empty(), "a name is no whole value");
    }

    #[test]
    fn a_receipt_code_is_taken_whole_only_with_its_dash_or_a_space() {
        assert!(matches!(
            ExactSearch::candidates("7j8d av6f").as_slice(),
            [ExactSearch::Receipt(_)]
        ));
        assert!(matches!(
            ExactSearch::candidates(" 7J8D-AV6F").as_slice(),
            [ExactSearch::Receipt(_)]
        ));
        assert!(ExactSearch::candidates("7J8DAV6F").is_empty());
        assert_eq!(
            ExactSearch::candidates("a b@c.se"),
            Vec::<ExactSearch>::new(),
            "an address holds no space"
        );
    }
}
