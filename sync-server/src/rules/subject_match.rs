//! Which held records a subject-access request's email or phone number matches. A
//! backend's index only proposes candidates (a word match in its search text); the record's
//! own document decides: the email compared lower-cased, the phone number as stored.

use std::collections::BTreeMap;

use crate::storage::{HeldRecord, MatchedBy};

/// What a backend answers while records are matched: the candidates its index holds for
/// a word, and a held record read whole.
pub trait ContactLookup {
    type Error;

    /// The ids of records whose index has `word` among its words.
    fn with_word(&mut self, word: &str) -> Result<Vec<String>, Self::Error>;

    /// The record `doc_id` as held, if it is.
    fn held(&mut self, doc_id: &str) -> Result<Option<HeldRecord>, Self::Error>;
}

/// Adds to `found` the records whose email (lower-cased) is `email`, or whose phone is
/// `phone`, each marked with what matched; a record found before keeps its marks and gains
/// the new ones.
pub fn add_by_contact<L: ContactLookup>(
    lookup: &mut L,
    email: Option<&str>,
    phone: Option<&str>,
    found: &mut BTreeMap<String, (HeldRecord, Vec<MatchedBy>)>,
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

    #[test]
    fn the_document_decides_what_the_index_proposed_and_marks_accumulate() {
        let mut lookup = Fake {
            candidates: vec!["a".into(), "b".into(), "c".into(), "gone".into()],
            records: [
                record("a", Some("Anna@Example.se"), Some("+46701234567")),
                record("b", Some("anna@example.se"), None),
                // The index matched a word of its text, but neither contact is this.
                record("c", Some("annas.bror@example.se"), Some("+46709999999")),
            ]
            .into_iter()
            .map(|r| (r.doc_id.clone(), r))
            .collect(),
        };
        let mut found = BTreeMap::new();
        add_by_contact(&mut lookup, Some("anna@example.se"), None, &mut found).expect("found");
        add_by_contact(&mut lookup, None, Some("+46701234567"), &mut found).expect("found");
        let marks: Vec<(&str, &[MatchedBy])> = found
            .iter()
            .map(|(id, (_, by))| (id.as_str(), by.as_slice()))
            .collect();
        assert_eq!(
            marks,
            vec![
                ("a", &[MatchedBy::Email, MatchedBy::Phone][..]),
                ("b", &[MatchedBy::Email][..]),
            ]
        );
    }
}
