//! The access log's own retention: the rule text a pruning records, and which entries a
//! pruning removes. Only a prefix of the log goes (never its middle), and never its newest
//! entry, so the chain always continues from an entry the log still holds. The cut-off
//! moment is [`super::retention_dates::months_before`] the pruning's time.

/// The rule a pruning under `months` records in the log's horizon.
pub fn retention_rule(months: u32) -> String {
    format!(
        "access-log entries older than {months} months are removed \
         (access_log_retention_months, the agency's own decision)"
    )
}

/// The first entry a pruning keeps, given the log's first and last entry numbers and the
/// first entry made at or after the cut-off (`None` if every entry is older): entries before
/// it are removed. `None` when nothing is due.
pub fn first_kept(first: u64, last: u64, first_recent: Option<u64>) -> Option<u64> {
    // The longest prefix of old entries, short of the newest entry.
    let first_kept = first_recent.unwrap_or(last).min(last);
    (first_kept > first).then_some(first_kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_names_its_months_and_whose_decision_it_is() {
        assert_eq!(
            retention_rule(60),
            "access-log entries older than 60 months are removed \
             (access_log_retention_months, the agency's own decision)"
        );
    }

    #[test]
    fn the_old_prefix_goes_up_to_the_first_recent_entry() {
        assert_eq!(first_kept(1, 10, Some(5)), Some(5));
        // After an earlier pruning the log starts later.
        assert_eq!(first_kept(5, 11, Some(8)), Some(8));
    }

    #[test]
    fn the_newest_entry_stays_when_every_entry_is_old() {
        assert_eq!(first_kept(1, 3, None), Some(3));
        assert_eq!(first_kept(3, 3, None), None, "only the newest is left");
    }

    #[test]
    fn nothing_is_due_when_the_first_entry_is_recent() {
        assert_eq!(first_kept(1, 3, Some(1)), None);
        assert_eq!(first_kept(4, 9, Some(4)), None);
    }
}
