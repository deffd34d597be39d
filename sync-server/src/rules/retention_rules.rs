//! Which retention rule an event's records are kept under (its published form's, else its
//! draft's, else the relay's default), when one of its records falls due, and what a
//! removal under it cites. The dates themselves are [`super::retention_dates`]'s.

use kiosk_core::event::Event;

use super::retention_dates;
use crate::storage::AppliedRule;

/// The rule for records of an event the relay has no document of (never so in practice:
/// every event's form carries a rule).
pub const DEFAULT_RETENTION_MONTHS: u16 = 24;
pub const DEFAULT_RETENTION_DECISION: &str = "Kiosk default rule: 24 months after receipt";

/// The rule records of event `event_id` are kept under, given its document if the relay
/// has one: the published form's rule, else the draft's (an event that never published
/// has no records), else the default.
pub fn rule_for(event_id: String, event: Option<&Event>) -> AppliedRule {
    let form_rule = event.map(|event| match event.current_form() {
        Ok(published) => &published.form.retention,
        Err(_) => &event.draft_form.retention,
    });
    match form_rule {
        Some(rule) => AppliedRule {
            event_id,
            months: rule.months_after_capture,
            decision: rule.decision.clone(),
        },
        None => AppliedRule {
            event_id,
            months: DEFAULT_RETENTION_MONTHS,
            decision: DEFAULT_RETENTION_DECISION.to_owned(),
        },
    }
}

impl AppliedRule {
    /// The newest receipt time whose record is due at `as_of`: receipts at or before it are
    /// due.
    pub fn due_through(&self, as_of: i64) -> i64 {
        retention_dates::due_through(u32::from(self.months), as_of)
    }

    /// When a record received at `received_at` falls due.
    pub fn due_at(&self, received_at: i64) -> i64 {
        retention_dates::add_months(received_at, u32::from(self.months))
    }

    /// What a removal record cites.
    pub fn citation(&self, run: i64) -> String {
        format!(
            "retention rule: {} months after receipt; decision: {}; retention run {run}",
            self.months, self.decision
        )
    }
}

#[cfg(test)]
mod tests {
    use kiosk_core::demo::demo_event;
    use kiosk_core::ids::Timestamp;

    use super::*;

    fn rule(months: u16) -> AppliedRule {
        AppliedRule {
            event_id: "e".into(),
            months,
            decision: "HR 2026:3".into(),
        }
    }

    #[test]
    fn an_event_the_relay_has_no_document_of_gets_the_default_rule() {
        assert_eq!(
            rule_for("gone".into(), None),
            AppliedRule {
                event_id: "gone".into(),
                months: 24,
                decision: "Kiosk default rule: 24 months after receipt".into(),
            }
        );
    }

    #[test]
    fn a_published_form_s_rule_wins_over_the_draft_s() {
        let mut event = demo_event();
        let published = event
            .current_form()
            .expect("published")
            .form
            .retention
            .clone();
        event.draft_form.retention.months_after_capture = 6;
        event.draft_form.retention.decision = "a draft not yet published".into();
        let applied = rule_for("demo".into(), Some(&event));
        assert_eq!(
            (applied.months, applied.decision),
            (published.months_after_capture, published.decision)
        );
    }

    #[test]
    fn an_event_that_never_published_uses_its_draft_s_rule() {
        let mut event = demo_event();
        event.published.clear();
        event.current_version = None;
        event.draft_form.retention.months_after_capture = 6;
        let applied = rule_for("demo".into(), Some(&event));
        assert_eq!(applied.months, 6);
        assert_eq!(applied.decision, event.draft_form.retention.decision);
    }

    #[test]
    fn a_record_is_due_the_rule_s_months_after_receipt_and_not_before() {
        let received = Timestamp::now().0;
        for months in [0, 1, 24] {
            let rule = rule(months);
            let due = rule.due_at(received);
            assert!(rule.due_through(due) >= received, "due at its due date");
            assert!(rule.due_through(due - 1) < received, "not a moment before");
        }
        assert_eq!(
            rule(24).due_at(received),
            retention_dates::add_months(received, 24)
        );
    }

    #[test]
    fn a_removal_cites_the_rule_its_decision_and_the_run() {
        assert_eq!(
            rule(24).citation(7),
            "retention rule: 24 months after receipt; decision: HR 2026:3; retention run 7"
        );
    }
}
