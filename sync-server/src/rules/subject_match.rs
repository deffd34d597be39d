//! Which held records a subject-access request's email or phone number matches. A
//! backend's index only proposes candidates (a word match in its search text); the record's
//! own document decides: the email compared lower-cased, the phone number as stored.

use std::collections::BTreeMap;

use crate::storage::{HeldRecord, MatchedBy, SubjectLookup};

/// The records found by id, each with what matched.
pub type Found = BTreeMap<String, (HeldRecord, Vec<MatchedBy>)>;

/// What a backend answers while records are matched: the candidates its index holds for
/// a word, and a held record read whole.
pub trait ContactLookup {
    type Error;

    /// The ids of records whose index has `word` among its words.
    fn with_word(&mut self, word: &str) -> Result<Vec<String>, Self::Error>;

    /// The record `doc_id` as held, if it is.
    fn held(&mut self, doc_id: &str) -> Result<Option<HeldRecord>, Self::Error>;

    /// The ids of records whose receipt code is `code`.
    fn with_receipt_code(&mut self, code: &str) -> Result<Vec<String>, Self::Error>;
}

/// The records a subject-access request by `lookup` finds, each with what matched. A
/// receipt code finds its record and, through that record's email and phone, the person's
/// other records; a restricted record's details are not followed for a user without the
/// clearance (`cleared`): the records they lead to would show them.
pub fn find<L: ContactLookup>(
    lookup: &mut L,
    request: &SubjectLookup,
    cleared: bool,
) -> Result<Found, L::Error> {
    let mut found = BTreeMap::new();
    match request {
        SubjectLookup::Email(email) => add_by_contact(lookup, Some(email), None, &mut found)?,
        SubjectLookup::Phone(phone) => add_by_contact(lookup, None, Some(phone), &mut found)?,
        SubjectLookup::ReceiptCode(code) => {
            for doc_id in lookup.with_receipt_code(code)? {
                let Some(record) = lookup.held(&doc_id)? else {
                    continue;
                };
                let follow = !record.restricted || cleared;
                let email = email_of(&record).filter(|_| follow);
                let phone = record.registration.person.phone.clone().filter(|_| follow);
                found
                    .entry(doc_id)
                    .or_insert_with(|| (record, Vec::new()))
                    .1
                    .push(MatchedBy::ReceiptCode);
                add_by_contact(lookup, email.as_deref(), phone.as_deref(), &mut found)?;
            }
        }
    }
    Ok(found)
}

/// Adds to `found` the records whose email (lower-cased) is `email`, or whose phone is
/// `phone`, each marked with what matched; a record found before keeps its marks and gains
/// the new ones.
fn add_by_contact<L: ContactLookup>(
    lookup: &mut L,
    email: Option<&str>,
    phone: Option<&str>,
    found: &mut Found,
) -> Result<(), L::Error> {
    let mut candidates = Vec::new();
    if let Some(email) = email {
        candidates.extend(lookup.with_word(email)?);
    }
    if let Some(phone) = phone {
        candidates.extend(lookup.with_word(phone)?);
    }
    for doc_id in candidates {
        if found
            .get(&doc_id)
            .is_some_and(|(_, by)| by.contains(&MatchedBy::Email) && by.contains(&MatchedBy::Phone))
        {
            continue;
        }
        let Some(record) = lookup.held(&doc_id)? else {
            continue;
        };
        let by = matched_by(&record, email, phone);
        if by.is_empty() {
            continue;
        }
        let entry = found.entry(doc_id).or_insert_with(|| (record, Vec::new()));
        for matched in by {
            if !entry.1.contains(&matched) {
                entry.1.push(matched);
            }
        }
    }
    Ok(())
}

/// The record's email as requests match it: lower-cased.
pub fn email_of(record: &HeldRecord) -> Option<String> {
    record
        .registration
        .person
        .email
        .as_deref()
        .map(str::to_lowercase)
}

/// What of `email` and `phone` the record's document itself holds.
fn matched_by(record: &HeldRecord, email: Option<&str>, phone: Option<&str>) -> Vec<MatchedBy> {
    let mut by = Vec::new();
    if email.is_some() && email_of(record).as_deref() == email {
        by.push(MatchedBy::Email);
    }
    if phone.is_some() && record.registration.person.phone.as_deref() == phone {
        by.push(MatchedBy::Phone);
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index answering every word with its candidates, over records held by id.
    struct Fake {
        candidates: Vec<String>,
        records: BTreeMap<String, HeldRecord>,
    }

    impl ContactLookup for Fake {
        type Error = ();

        fn with_word(&mut self, _word: &str) -> Result<Vec<String>, ()> {
            Ok(self.candidates.clone())
        }

        fn held(&mut self, doc_id: &str) -> Result<Option<HeldRecord>, ()> {
            Ok(self.records.get(doc_id).cloned())
        }

        fn with_receipt_code(&mut self, code: &str) -> Result<Vec<String>, ()> {
            Ok(self
                .records
                .values()
                .filter(|r| r.receipt_code == code)
                .map(|r| r.doc_id.clone())
                .collect())
        }
    }

    fn record(doc_id: &str, email: Option<&str>, phone: Option<&str>) -> HeldRecord {
        let mut registration =
            kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 1)
                .next_registration()
                .expect("valid");
        registration.person.email = email.map(str::to_owned);
        registration.person.phone = phone.map(str::to_owned);
        HeldRecord {
            doc_id: doc_id.to_owned(),
            event_id: "demo".into(),
            device_key: [0; 32],
            receipt_code: "CODE".into(),
            received_at: 0,
            restricted: false,
            changes: Vec::new(),
            registration,
            access: Vec::new(),
        }
    }

    fn fake() -> Fake {
        let mut a = record("a", Some("Anna@Example.se"), Some("+46701234567"));
        a.receipt_code = "RECEIPT-A".into();
        let mut hidden = record("h", Some("anna@example.se"), Some("+46701234567"));
        hidden.receipt_code = "RECEIPT-H".into();
        hidden.restricted = true;
        Fake {
            candidates: vec!["a".into(), "b".into(), "c".into(), "gone".into()],
            records: [
                a,
                record("b", Some("anna@example.se"), None),
                // The index matched a word of its text, but neither contact is this.
                record("c", Some("annas.bror@example.se"), Some("+46709999999")),
                hidden,
            ]
            .into_iter()
            .map(|r| (r.doc_id.clone(), r))
            .collect(),
        }
    }

    fn marks(found: &Found) -> Vec<(&str, &[MatchedBy])> {
        found
            .iter()
            .map(|(id, (_, by))| (id.as_str(), by.as_slice()))
            .collect()
    }

    #[test]
    fn the_document_decides_what_the_index_proposed_and_marks_accumulate() {
        let mut lookup = fake();
        let by_email = find(
            &mut lookup,
            &SubjectLookup::Email("anna@example.se".into()),
            false,
        )
        .expect("found");
        assert_eq!(
            marks(&by_email),
            vec![
                ("a", &[MatchedBy::Email][..]),
                ("b", &[MatchedBy::Email][..])
            ]
        );
        // A receipt code finds its record, then the person's others by its contact details;
        // the marks of a record found twice accumulate.
        let by_receipt = find(
            &mut lookup,
            &SubjectLookup::ReceiptCode("RECEIPT-A".into()),
            false,
        )
        .expect("found");
        assert_eq!(
            marks(&by_receipt),
            vec![
                (
                    "a",
                    &[MatchedBy::ReceiptCode, MatchedBy::Email, MatchedBy::Phone][..]
                ),
                ("b", &[MatchedBy::Email][..]),
            ]
        );
    }

    #[test]
    fn a_restricted_records_details_are_followed_only_for_the_cleared() {
        let mut lookup = fake();
        let request = SubjectLookup::ReceiptCode("RECEIPT-H".into());
        let uncleared = find(&mut lookup, &request, false).expect("found");
        assert_eq!(
            marks(&uncleared),
            vec![("h", &[MatchedBy::ReceiptCode][..])]
        );
        let cleared = find(&mut lookup, &request, true).expect("found");
        assert_eq!(
            marks(&cleared),
            vec![
                ("a", &[MatchedBy::Email, MatchedBy::Phone][..]),
                ("b", &[MatchedBy::Email][..]),
                ("h", &[MatchedBy::ReceiptCode][..]),
            ]
        );
    }
}
