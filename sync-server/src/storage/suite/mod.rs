//! The store test suite: what every [`RelayStore`] backend promises, tested through the
//! trait alone (no SQL, no backend internals), so a new backend is "implement the store
//! traits and make this suite pass".
//!
//! Each concern has its own file of plain functions, each taking a fresh, empty store
//! (`fn(&dyn RelayStore)`); tests that need a store reopened take an opener instead
//! (`fn(&dyn Fn() -> Box<dyn RelayStore>)`, every call opening the same data). A backend
//! runs them all with [`store_suite!`], which expands into one `#[test]` per function, by
//! name, in one module per concern:
//!
//! ```ignore
//! mod in_memory {
//!     use super::*;
//!     crate::storage::suite::store_suite! {
//!         fresh: TestStore::new(SqliteStore::in_memory().expect("store")),
//!         reopen: none,
//!     }
//! }
//! ```
//!
//! `reopen: none` marks a backend that cannot reopen what it stored (an in-memory store):
//! its reopening tests show as ignored, with that reason. The suite is compiled for this
//! crate's tests only; the backends live in this crate. A suite function left out of the
//! macro's list is dead code, which `clippy -D warnings` refuses.
//!
//! What only a backend can see (schema, pragmas, triggers, query plans, files, group
//! commit) stays in that backend's own tests.

pub(crate) mod access_log;
pub(crate) mod blind_index;
pub(crate) mod cosignatures;
pub(crate) mod daily_jobs;
pub(crate) mod devices;
pub(crate) mod events;
pub(crate) mod failure_counts;
pub(crate) mod fixtures;
pub(crate) mod hr_accounts;
pub(crate) mod ingest_pull;
pub(crate) mod lifecycle;
pub(crate) mod monitoring;
pub(crate) mod quarantine;
pub(crate) mod registrations;
pub(crate) mod reopen;
pub(crate) mod transparency;
pub(crate) mod visitor_receipt;

use std::any::Any;

use super::RelayStore;

/// A fresh store under test and whatever must outlive it (the temporary directory holding
/// its files).
pub(crate) struct TestStore {
    // Dropped first (fields drop in order): the store closes before its files go.
    store: Box<dyn RelayStore>,
    _keep: Option<Box<dyn Any>>,
}

impl TestStore {
    pub(crate) fn new(store: impl RelayStore) -> TestStore {
        TestStore {
            store: Box::new(store),
            _keep: None,
        }
    }

    /// A store that lives in `keep` (a temporary directory), dropped after it.
    pub(crate) fn keeping(store: impl RelayStore, keep: impl Any) -> TestStore {
        TestStore {
            store: Box::new(store),
            _keep: Some(Box::new(keep)),
        }
    }
}

impl std::ops::Deref for TestStore {
    type Target = dyn RelayStore;

    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

/// Opens the same stored data again on every call, for tests of what survives a restart.
pub(crate) struct Reopening {
    open: Box<dyn Fn() -> Box<dyn RelayStore>>,
    _keep: Box<dyn Any>,
}

impl Reopening {
    /// `open` opens the store kept in `keep` (a temporary directory).
    pub(crate) fn new(
        open: impl Fn() -> Box<dyn RelayStore> + 'static,
        keep: impl Any,
    ) -> Reopening {
        Reopening {
            open: Box::new(open),
            _keep: Box::new(keep),
        }
    }

    pub(crate) fn open(&self) -> Box<dyn RelayStore> {
        (self.open)()
    }
}

/// Expands into the whole suite, one `#[test]` per suite function, for a backend:
/// `fresh:` an expression making a fresh [`TestStore`] (evaluated once per test), `reopen:`
/// an expression making a [`Reopening`], or `none` when the backend cannot reopen a store.
/// Expressions are evaluated inside the generated modules, which `use super::*`.
macro_rules! store_suite {
    (fresh: $fresh:expr, reopen: none $(,)?) => {
        $crate::storage::suite::store_suite!(@fresh $fresh);
        $crate::storage::suite::store_suite!(@reopen_skipped);
    };
    (fresh: $fresh:expr, reopen: $reopen:expr $(,)?) => {
        $crate::storage::suite::store_suite!(@fresh $fresh);
        $crate::storage::suite::store_suite!(@reopen $reopen);
    };
    (@fresh $fresh:expr) => {
        $crate::storage::suite::store_suite!(@each $fresh;
            ingest_pull {
                a_stored_capture_is_read_back_with_its_receipt_code_and_counted,
                a_sequence_number_not_above_the_last_accepted_stores_nothing,
                a_resent_capture_is_answered_with_every_hash_held_and_stored_once,
                a_different_copy_of_a_held_capture_is_quarantined_not_merged,
                a_flagged_capture_is_kept_apart_and_counted_against_its_device,
                a_staff_tablets_changes_merge_once_and_are_logged_once,
                changes_to_a_registration_not_held_are_refused_as_removed,
                the_journal_head_grows_only_without_gaps,
                every_commit_takes_the_next_number_of_one_counter,
                pull_pages_end_on_whole_commits_and_a_cursor_resumes_exactly_after_them,
                a_pull_skips_restricted_records_the_pullers_own_changes_and_other_events,
                a_pull_inside_an_ingest_is_logged_in_the_same_commit,
                a_tablet_revoked_before_its_commit_is_sent_nothing,
                a_withdrawal_is_pulled_past_the_cursor_and_not_by_kiosks,
                concurrent_ingests_from_many_tablets_are_all_stored,
                a_fresh_store_has_an_epoch_and_no_backup_watermark,
                a_device_report_counts_what_the_relay_holds_from_it,
                a_request_that_fails_is_undone_whole_and_can_be_sent_again,
                the_same_request_sent_at_once_is_stored_once,
            }
            devices {
                a_code_enrolls_a_device_and_the_record_reads_back,
                the_relay_key_a_tablet_pins_is_recorded_and_tablets_not_pinning_one_are_counted,
                redeeming_the_same_code_for_the_same_device_again_uses_it_once,
                a_code_is_refused_when_unknown_expired_exhausted_or_for_another_role,
                a_revoked_device_stays_revoked_and_a_code_does_not_bring_it_back,
                device_keys_come_in_enrollment_order_per_event,
                a_single_use_code_redeemed_by_many_tablets_at_once_enrolls_one,
                each_unlock_of_a_staff_tablet_raises_its_counter_from_one,
                kiosks_unknown_and_revoked_devices_get_no_unlock,
                an_unlock_is_outstanding_for_seven_days_from_its_latest_issue,
                a_code_names_the_tablets_it_enrolls_and_hr_can_rename_them,
                a_tablets_certificates_are_kept_verbatim_and_the_one_valid_at_a_time_is_found,
                only_a_tablets_newest_certificates_are_kept,
                enrollments_of_one_tablet_in_one_millisecond_keep_the_last_ones_certificate,
            }
            blind_index {
                the_duplicate_index_is_written_by_the_pass_and_removed_with_its_record,
                do_not_contact_rows_keep_their_basis_until_their_own_retention,
                the_index_key_is_bound_on_first_use_and_another_is_refused,
                another_index_key_rebinds_and_the_duplicate_index_is_written_again,
                withdrawals_are_listed_for_the_do_not_contact_list_while_their_record_is_held,
                a_record_whose_indexing_failed_waits_for_its_retry_and_is_counted_until_indexed,
            }
            visitor_receipt {
                a_receipt_tag_finds_its_record_until_hr_clears_it_or_it_is_removed,
                a_receipt_tag_sent_twice_is_kept_by_the_first_record_only,
                the_receipt_key_is_bound_on_first_use_and_another_is_refused_until_rebound,
                visitor_requests_queue_until_handled_and_go_with_their_record,
                a_visitor_request_is_added_once_while_one_of_its_kind_is_open,
                the_visitors_access_log_entries_read_back_as_theirs_and_the_chain_holds,
            }
            monitoring {
                the_write_probe_succeeds_and_changes_nothing_a_sync_reads,
                monitoring_figures_count_the_access_log_and_silent_tablets_with_unsent_captures,
            }
            events {
                a_put_event_reads_back_and_replaces_the_stored_one,
                a_created_event_reads_back_with_its_heads_and_a_second_is_refused,
                an_edit_at_the_read_heads_is_stored_and_tablets_get_the_changes_past_theirs,
                an_edit_of_an_unknown_event_is_refused_and_stores_nothing,
                event_summaries_list_every_event_latest_start_first,
                publishing_freezes_the_draft_that_was_read_and_refuses_one_changed_since,
            }
            hr_accounts {
                a_user_reads_back_by_name_and_id_and_a_taken_username_is_refused,
                a_clearance_change_is_recorded_with_its_author_and_a_repeat_is_not,
                a_new_password_ends_every_session_and_token_of_the_user,
                a_credential_opens_until_it_expires_or_is_deleted,
                a_credential_written_after_its_user_was_disabled_never_opens_even_once_enabled,
                assignments_are_added_once_and_taken_away,
                the_directory_lists_users_by_username_with_their_own_assignments,
                the_directory_names_each_creator_and_the_admin_whose_grant_is_in_force,
                the_last_enabled_admin_cannot_lose_admin_and_changes_are_recorded,
                a_granted_clearance_is_recorded_with_its_reason_and_logged_and_a_repeat_is_not,
                api_tokens_list_newest_first_and_a_revoked_one_is_gone,
                two_admins_disabling_each_other_at_once_leave_one_enabled,
            }
            registrations {
                a_receipt_code_as_read_out_finds_its_registration,
                a_search_shaped_like_a_receipt_that_names_none_matches_parts_as_usual,
                a_whole_email_address_finds_each_registration_with_it_on_every_page,
                a_list_logs_each_row_it_shows_and_pages_newest_first,
                restricted_records_are_listed_only_when_asked_for,
                a_read_is_logged_only_when_the_record_exists,
                an_export_never_holds_restricted_records_and_logs_each_one,
                an_hr_edit_is_pulled_by_staff_logged_and_a_repeat_writes_nothing,
                an_hr_edit_of_a_record_not_held_writes_nothing,
                restricted_registrations_come_uncontacted_first_and_are_logged,
                a_count_and_pages_in_either_order_hold_each_row_once,
                a_phone_number_typed_as_said_finds_its_record,
                each_list_filter_narrows_to_the_rows_it_names,
                a_records_capture_evidence_is_what_ingest_stored_until_removal,
            }
            quarantine {
                quarantined_captures_list_newest_first_without_their_bytes,
                accepting_a_quarantined_capture_stores_it_as_a_registration_once,
                keeping_a_capture_apart_is_recorded_once_and_stores_nothing,
                a_quarantined_capture_whose_record_is_held_or_removed_is_not_stored_again,
                an_acceptance_from_quarantine_appends_a_leaf_naming_who_accepted,
                a_quarantined_capture_is_logged_under_the_nonce_its_acceptance_keeps,
                a_copy_under_another_tablets_record_never_gets_that_records_nonce,
                copies_of_two_tablets_under_an_unregistered_id_get_nonces_of_their_own,
                accepting_a_second_tablets_copy_stores_the_record_under_that_copys_nonce,
                an_accepted_copy_keeps_the_certificate_its_tablet_held_when_it_was_received,
                a_copy_logged_before_a_registration_appears_is_still_proven_afterwards,
            }
            lifecycle {
                a_removal_erases_the_record_is_pulled_as_removed_and_a_capture_of_it_is_refused,
                a_restricted_records_removal_is_told_to_its_kiosk_but_not_to_staff_tablets,
                a_record_on_legal_hold_is_not_removed_until_the_hold_is_lifted,
                holds_are_set_once_lifted_once_and_their_history_kept,
                a_withdrawal_is_recorded_once_and_a_visitor_who_never_opted_in_has_none,
                every_event_with_records_has_a_retention_rule_and_due_counts,
                a_retention_run_removes_what_is_due_keeps_what_is_held_and_finishes,
                only_one_retention_run_goes_at_a_time,
                retention_runs_started_at_once_start_one,
                subject_access_reads_every_record_of_a_person_and_logs_each,
                an_uncleared_request_matching_restricted_records_waits_for_the_cleared,
                a_disclosure_names_what_is_held_withheld_removed_and_not_held,
                the_reconciliation_tally_counts_an_events_devices_and_removals,
                a_talent_pool_withdrawal_appends_a_leaf_naming_who_withdrew,
            }
            access_log {
                an_empty_log_verifies_with_no_entries,
                entries_appended_in_several_calls_form_one_chain_that_verifies,
                a_first_pull_of_5000_entries_is_one_append_that_verifies,
                stored_entries_carry_the_hash_format_logs_were_always_written_in,
                each_filter_narrows_and_entries_come_newest_first,
                pages_continue_below_the_last_entry_shown_until_none_is_left,
                a_query_without_restricted_hides_entries_about_restricted_records,
                pruning_removes_the_old_prefix_and_the_chain_still_verifies_from_the_horizon,
                pruning_keeps_the_newest_entry_and_does_nothing_when_nothing_is_due,
                every_logged_operation_extends_one_chain_that_verifies,
            }
            failure_counts {
                attempts_are_counted_up_to_the_maximum_then_refused_until_the_window_ends,
                an_attempt_is_counted_under_all_its_keys_or_none,
                a_forgiven_attempt_is_taken_back_and_never_below_none,
                past_its_bound_a_scopes_new_keys_share_one_overflow_key,
                a_prune_forgets_only_keys_whose_window_ended,
                attempts_at_once_on_one_key_are_counted_up_to_its_maximum_only,
            }
            daily_jobs {
                a_days_run_is_recorded_once_and_later_turns_that_day_find_it_done,
                a_turn_given_up_is_taken_again_and_no_run_is_recorded_without_one,
            }
            transparency {
                captures_hr_edits_holds_and_removals_each_append_their_leaves,
                a_staff_tablets_changes_append_a_leaf_each_and_a_retry_none,
                a_request_that_fails_appends_no_leaf,
                a_removed_records_nonce_is_erased_and_every_leaf_still_verifies,
                proofs_served_from_the_store_equal_the_in_memory_librarys,
                a_recorded_log_key_is_replaced_only_when_told_and_while_the_log_is_empty,
                a_requests_reported_leaves_are_the_ones_it_appended_and_a_resent_or_stale_one_none,
                record_nonces_keep_the_order_asked_with_none_for_a_missing_id_and_repeats,
            }
            cosignatures {
                a_witnesss_newest_cosignature_per_size_is_kept_and_served_for_its_checkpoint,
                the_trees_cosigned_by_every_named_witness_are_those_all_of_them_cosigned,
            }
        );
    };
    (@each $fresh:expr; $($concern:ident { $($name:ident),* $(,)? })*) => {
        $(
            mod $concern {
                #[allow(unused_imports)]
                use super::*;
                $(
                    #[test]
                    fn $name() {
                        let store: $crate::storage::suite::TestStore = $fresh;
                        $crate::storage::suite::$concern::$name(&*store);
                    }
                )*
            }
        )*
    };
    (@reopen $reopen:expr) => {
        $crate::storage::suite::store_suite!(@reopen_each $reopen;
            answered_ingests_are_there_when_the_store_is_opened_again,
            removals_holds_and_accounts_are_there_when_the_store_is_opened_again,
            of_instances_replacing_the_log_key_together_one_replacement_wins,
        );
    };
    (@reopen_skipped) => {
        $crate::storage::suite::store_suite!(@reopen_skipped_each
            answered_ingests_are_there_when_the_store_is_opened_again,
            removals_holds_and_accounts_are_there_when_the_store_is_opened_again,
            of_instances_replacing_the_log_key_together_one_replacement_wins,
        );
    };
    (@reopen_each $reopen:expr; $($name:ident),* $(,)?) => {
        mod reopen {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    let reopening: $crate::storage::suite::Reopening = $reopen;
                    $crate::storage::suite::reopen::$name(&|| reopening.open());
                }
            )*
        }
    };
    (@reopen_skipped_each $($name:ident),* $(,)?) => {
        mod reopen {
            $(
                #[test]
                #[ignore = "this backend cannot reopen a store"]
                fn $name() {}
            )*
        }
    };
}

pub(crate) use store_suite;
