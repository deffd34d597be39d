//! Where the relay keeps what it received: behind [`RelayStore`], so a PostgreSQL backend
//! can serve several relay instances later. [`SqliteStore`] is the embedded default.
//!
//! Every method is blocking; async handlers call it on the blocking pool. `ingest` stores a
//! sync request whole or not at all, and returns only once it is durable; requests that
//! arrive together may share one transaction and its commit ([`SqliteStore`] does: group
//! commit).

mod group_commit;
mod sqlite;

pub use crate::rules::access_chain::AccessLogVerdict;
pub use crate::rules::access_log_pruning::retention_rule;
pub use crate::rules::retention_dates::months_before;
pub use sqlite::access_log::{AccessAction, AccessEntry, Accessor};
pub use sqlite::access_log_query::AccessLogQuery;
pub use sqlite::access_log_retention::{AccessLogHorizon, AccessLogPruning};
pub use sqlite::event_edits::{
    EventDetails, EventEdit, EventEditRefusal, EventEdited, EventSummary,
};
pub use sqlite::hr_accounts::{
    AccountAction, AccountChange, AccountChangeOutcome, AccountChangeRecord, ClearanceChange,
    Credential, CredentialKind, NewHrUser, TokenInfo,
};
pub use sqlite::hr_directory::DirectoryEntry;
pub use sqlite::hr_edits::{HrEdit, HrEditOutcome, HrEditor};
pub use sqlite::lifecycle_journal::{LifecycleEntry, LifecycleJournal, Replayed};
pub use sqlite::quarantine_review::{
    AcceptedCapture, QuarantineReview, QuarantinedCapture, ReviewAction, ReviewDecision,
    ReviewOutcome,
};
pub use sqlite::registration_index::{
    ExportPage, ExportedRegistration, RegistrationFilter, RegistrationSummary,
};
pub use sqlite::restricted_inbox::RestrictedRequest;
pub use sqlite::retention::{
    AppliedRule, HoldChange, HoldHistoryEntry, LegalHold, RemovalOutcome, RetentionRun, RunStep,
    WithdrawalOutcome,
};
pub use sqlite::subject_access::{
    AskedRecord, DisclosureItem, DisclosureOutcome, DisclosureSelection, HeldRecord, MatchedBy,
    SubjectAccessFound, SubjectLookup,
};
pub use sqlite::{
    BackupReport, DeviceLoss, ReportedWatermark, RestorePlan, RestoreReport, SqliteStore,
    UnknownTablet, reported_watermark, watermark_path,
};

use crate::hr::accounts::{AccountOrigin, HrUser, PasswordHash};

use kiosk_core::event::Event;
use kiosk_core::ids::EventId;
use kiosk_core::journal::JournalHead;
use kiosk_core::protocol::enrollment::EnrolledRole;
use kiosk_core::protocol::{ErrorCode, PulledDocument, PushOutcome};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("relay database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored {0} cannot be decoded")]
    Undecodable(&'static str),
    #[error("relay database file: {0}")]
    Io(#[from] std::io::Error),
    #[error("event document: {0}")]
    Document(#[from] kiosk_core::Error),
    /// A backup or restore could not be made; says which file and why.
    #[error("{0}")]
    Backup(String),
    /// The store (or a backup) was written by a newer relay: this build does not know its
    /// schema, so it writes nothing to it.
    #[error(
        "{path} was written by a newer relay (schema version {found}; this relay knows versions \
         up to {supported}); it was left untouched: use the newer relay"
    )]
    NewerSchema {
        path: String,
        found: u32,
        supported: u32,
    },
    /// The file is an SQLite database of another application (or of a device).
    #[error("{path} is not a Kiosk relay store; it was left untouched")]
    NotARelayStore { path: String },
}

impl StorageError {
    /// Whether the store was still locked by another connection when the busy timeout ran
    /// out (an operator's command holding it longer): nothing was stored, and trying again
    /// shortly can succeed.
    pub fn is_locked(&self) -> bool {
        matches!(
            self,
            StorageError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
        )
    }

    /// Whether the store could not be written for lack of space (SQLite's `SQLITE_FULL`, or
    /// the file system's `ENOSPC`): nothing was stored, and trying again later can succeed.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StorageError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            StorageError::Io(e) => e.kind() == std::io::ErrorKind::StorageFull,
            _ => false,
        }
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// An enrollment code as stored: only its lookup hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentGrant {
    pub lookup: [u8; 32],
    /// Authenticates the relay's answers; derived from the code, which is not stored.
    pub answer_secret: [u8; 32],
    pub event_id: String,
    pub role: EnrolledRole,
    pub recruiter: Option<String>,
    pub expires_at: i64,
    pub max_uses: u32,
}

/// Enrolls `key` for `event_id` as `role` (a staff tablet bound to `recruiter`), through a
/// single-use code made for it, as the enrollment route records a device: for tests that
/// need enrolled devices in a store without the HTTP exchange.
#[doc(hidden)]
pub fn enroll_for_tests(
    store: &dyn RelayStore,
    key: [u8; 32],
    event_id: &str,
    role: EnrolledRole,
    recruiter: Option<&str>,
) {
    // As `enrollment::create_code` asks: a staff tablet's recruiter is an enabled recruiter
    // assigned to the event.
    if let (EnrolledRole::Staff, Some(username)) = (role, recruiter) {
        crate::hr::recruiter_for_tests(store, username, event_id);
    }
    let grant = EnrollmentGrant {
        lookup: key,
        answer_secret: [0; 32],
        event_id: event_id.to_owned(),
        role,
        recruiter: recruiter.map(str::to_owned),
        expires_at: i64::MAX,
        max_uses: 1,
    };
    store.add_enrollment_code(&grant, 0).expect("code");
    store
        .redeem_enrollment_code(&key, &key, role, &|_| true, 0, 1 << 40)
        .expect("storage")
        .expect("enrolled");
}

/// `registration` as ingest stores a kiosk's capture that passed every check, the tablet
/// `key` its author (the document made here; no seal, a zero capture signature): for tests
/// and benches that fill a store without sealing captures.
#[doc(hidden)]
pub fn capture_for_tests(
    registration: &kiosk_core::registration::Registration,
    key: &ed25519_dalek::VerifyingKey,
) -> IngestItem {
    let mut document = kiosk_core::documents::RegistrationDocument::create(
        registration,
        key,
        registration.captured_at,
    )
    .expect("document");
    IngestItem::Store {
        doc_id: registration.id.to_string(),
        event_id: registration.event_id.to_string(),
        change_hashes: document.change_hashes().iter().map(|h| h.0).collect(),
        document: document.save_changes(),
        capture_signature: vec![0; 64],
        receipt_code: receipt_code_for_tests(&registration.id),
        restricted: registration.restricted,
        journal_seq: None,
    }
}

/// The receipt code [`capture_for_tests`] files `id` under. Real codes come out of the seal
/// (`kiosk_core::capture::receipt_code`) and no id derives them; a store filled without
/// seals needs codes its tests can name, so these are a keyed hash of the id under a key
/// only tests use.
#[doc(hidden)]
pub fn receipt_code_for_tests(id: &kiosk_core::ids::RegistrationId) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(b"kiosk-receipt-code-for-tests")
        .chain_update(id.as_str())
        .finalize();
    let mut secret = [0u8; kiosk_core::capture::receipt_code::SECRET_LEN];
    secret.copy_from_slice(&digest[..kiosk_core::capture::receipt_code::SECRET_LEN]);
    kiosk_core::capture::receipt_code::from_secret(&secret)
}

/// Stores `items` as kiosk `device_key`'s sync request number `seq`, received at
/// `received_at`, pulling nothing: for tests and benches.
#[doc(hidden)]
pub fn ingest_for_tests(
    store: &dyn RelayStore,
    device_key: [u8; 32],
    seq: u64,
    received_at: i64,
    items: Vec<IngestItem>,
) -> IngestOutcome {
    store
        .ingest(&IngestBatch {
            device_key,
            seq,
            received_at,
            items,
            accessor: Accessor::Device {
                device_key,
                recruiter: None,
            },
            pull: None,
            declared_journal: None,
        })
        .expect("ingested")
}

/// Stores `count` generated registrations of the demo event (some restricted) as the
/// captures of one kiosk, enrolled here, in one sync request; returns them, in order. The
/// same kiosk and generator seed each time: for tests that need a store of registrations.
#[doc(hidden)]
pub fn ingest_generated_for_tests(
    store: &dyn RelayStore,
    count: usize,
) -> Vec<kiosk_core::registration::Registration> {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    enroll_for_tests(
        store,
        key.to_bytes(),
        kiosk_core::demo::DEMO_EVENT_ID,
        EnrolledRole::Kiosk,
        None,
    );
    let mut generator =
        kiosk_core::generator::RegistrationGenerator::new(kiosk_core::demo::demo_event(), 5);
    let registrations: Vec<_> = (0..count)
        .map(|_| generator.next_registration().expect("valid"))
        .collect();
    let items = registrations
        .iter()
        .map(|registration| capture_for_tests(registration, &key))
        .collect();
    ingest_for_tests(store, key.to_bytes(), 1, 0, items);
    registrations
}

/// Why a code did not enroll a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// No such code, or the request does not prove knowing it.
    Unknown,
    /// The device was revoked; a code does not bring it back.
    Revoked,
    Expired,
    Exhausted,
    /// The code is for another kind of tablet (kiosk or staff); it was not used.
    WrongRole,
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub device_key: [u8; 32],
    pub event_id: String,
    pub role: EnrolledRole,
    pub recruiter: Option<String>,
    pub certified_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_seq: u64,
}

/// One document of a sync request, after every check.
#[derive(Debug, Clone)]
pub enum IngestItem {
    /// A capture that passed every check: merged into the record.
    Store {
        doc_id: String,
        event_id: String,
        document: Vec<u8>,
        change_hashes: Vec<[u8; 32]>,
        capture_signature: Vec<u8>,
        receipt_code: String,
        restricted: bool,
        journal_seq: Option<u64>,
    },
    /// A staff tablet's changes of a registration that passed every check: merged.
    Annotate {
        doc_id: String,
        /// The changes the relay did not hold yet, with their hashes.
        changes: Vec<([u8; 32], Vec<u8>)>,
    },
    /// An authentic capture that failed a later check: kept apart, not merged.
    Quarantine {
        doc_id: String,
        sealed: Vec<u8>,
        change_hashes: Vec<[u8; 32]>,
        code: ErrorCode,
        journal_seq: Option<u64>,
    },
}

/// One sync request's documents, stored in one transaction.
#[derive(Debug, Clone)]
pub struct IngestBatch {
    pub device_key: [u8; 32],
    pub seq: u64,
    pub received_at: i64,
    pub items: Vec<IngestItem>,
    /// Who the access log names for what this request reads and changes.
    pub accessor: Accessor,
    /// What the tablet pulls, read in the same transaction that stores its pushes and
    /// writes the access log: what leaves the relay is exactly what the log holds, and a
    /// removal cannot slip between the read and the answer.
    pub pull: Option<PullQuery>,
    /// The journal count the tablet declared (how many it has captured), for
    /// reconciliation; `None` leaves the last one recorded.
    pub declared_journal: Option<u64>,
}

/// A pull to read inside an ingest transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullQuery {
    pub scope: PullScope,
    pub after_seq: u64,
    pub max_changes: usize,
}

/// What the transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// The sequence number was not above the last accepted; nothing was stored.
    StaleSeq { last_accepted: u64 },
    Committed {
        /// One per item, in order: stored (every change hash the relay holds for the
        /// document), quarantined (the capture's hashes) or refused.
        outcomes: Vec<PushOutcome>,
        /// The device's journal as far as the relay holds it without a gap.
        journal: JournalHead,
        /// The number this commit took from the store's counter: a backup whose watermark
        /// reaches it holds everything this request stored.
        commit_seq: u64,
        /// What the request's pull read (empty without one).
        page: PullPage,
    },
}

/// Which timeline the store is on and how far its backups reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupState {
    /// New after every restore: receipts of another epoch may name data the store lost.
    pub epoch: [u8; 16],
    /// Every commit numbered at or below this is in a completed backup.
    pub watermark: Option<u64>,
}

/// What the relay holds from one device: its side of the event's closing count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReport {
    pub record: DeviceRecord,
    /// Distinct documents received from this device, merged or kept in quarantine.
    pub received: u64,
    /// Registrations stored (merged) from this device.
    pub stored: u64,
    /// Distinct documents from this device kept in quarantine.
    pub quarantined: u64,
    /// The device's journal as far as the relay holds it without a gap, computed by the
    /// relay; the same head the tablet holds when nothing is missing.
    pub journal: JournalHead,
    pub last_contact: Option<i64>,
}

/// Whose pull a page is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullScope {
    pub device_key: [u8; 32],
    pub event_id: String,
    /// Staff tablets get registrations; kiosks only the removals of their own captures.
    pub role: EnrolledRole,
}

/// One page of a pull.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullPage {
    /// Registrations with changes numbered in the page's range, each with those changes
    /// (not the puller's own), in commit order.
    pub documents: Vec<PulledDocument>,
    /// Documents in scope removed in the page's range.
    pub removed: Vec<String>,
    /// Staff tablets: documents in scope whose talent-pool consent was withdrawn in the
    /// page's range.
    pub withdrawn: Vec<String>,
    /// Every change and removal in scope numbered at or below this is in this page or an
    /// earlier one: the next cursor.
    pub through_seq: u64,
    /// Changes numbered above `through_seq` wait.
    pub more: bool,
}

/// What is kept of a removed registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub event_id: String,
    /// The record was restricted: its removal is not told to staff tablets either.
    pub restricted: bool,
    pub removed_at: i64,
    /// Why: the retention rule and decision a run cites, or an operator's reason.
    pub reason: String,
}

/// One event's retention at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionDue {
    pub rule: AppliedRule,
    /// Records past their date (held ones included).
    pub due: u64,
    /// Of those, records a legal hold keeps.
    pub held: u64,
}

/// Where one record stands in its lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRetention {
    pub received_at: i64,
    pub rule: AppliedRule,
    /// The earliest time a retention run removes it (later while a legal hold stands).
    pub due_at: i64,
    pub legal_hold: Option<LegalHold>,
    pub talent_pool_withdrawn_at: Option<i64>,
}

/// A stored registration as the relay checks edits against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRegistration {
    pub event_id: String,
    pub restricted: bool,
    /// The capture's change followed by every later change, as change chunks.
    pub changes: Vec<u8>,
}

/// Counts for tests, reconciliation and the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayCounts {
    pub registrations: u64,
    pub quarantined: u64,
    pub devices: u64,
}

pub trait RelayStore: Send + Sync + std::fmt::Debug + 'static {
    fn put_event(&self, event: &Event) -> StorageResult<()>;
    fn event(&self, id: &EventId) -> StorageResult<Option<Event>>;
    /// Creates an event's document written by `author` (an HR user's actor key) in one
    /// transaction; `None` if an event with that id exists. Returns the document's heads.
    fn create_event(
        &self,
        event: &Event,
        author: &ed25519_dalek::VerifyingKey,
        at: kiosk_core::ids::Timestamp,
    ) -> StorageResult<Option<Vec<[u8; 32]>>>;
    /// Applies `edit` as `author` to event `id` as it was at `based_on` (the heads the
    /// editor read), merges it with later changes, checks the result and stores it in one
    /// transaction; tablets then pull the new changes. A refusal stores nothing.
    fn edit_event(
        &self,
        id: &EventId,
        based_on: &[[u8; 32]],
        edit: &EventEdit,
        author: &ed25519_dalek::VerifyingKey,
        at: kiosk_core::ids::Timestamp,
    ) -> StorageResult<Result<EventEdited, EventEditRefusal>>;
    /// An event with its document's heads (sorted), for an editor to base edits on.
    fn event_with_heads(&self, id: &EventId) -> StorageResult<Option<(Event, Vec<[u8; 32]>)>>;
    /// Every event as HR's list shows it, latest start first.
    fn event_summaries(&self) -> StorageResult<Vec<EventSummary>>;
    fn add_enrollment_code(&self, grant: &EnrollmentGrant, created_at: i64) -> StorageResult<()>;
    /// Uses the code for `device` and records the device, in one transaction. Enrolling
    /// the same device again with the same code returns its record without using it twice.
    fn redeem_enrollment_code(
        &self,
        lookup: &[u8; 32],
        device_key: &[u8; 32],
        device_role: EnrolledRole,
        knows_code: &dyn Fn(&[u8; 32]) -> bool,
        now: i64,
        certificate_lifetime_ms: i64,
    ) -> StorageResult<Result<(DeviceRecord, [u8; 32]), CodeRefusal>>;
    fn device(&self, device_key: &[u8; 32]) -> StorageResult<Option<DeviceRecord>>;
    fn revoke_device(&self, device_key: &[u8; 32], at: i64) -> StorageResult<bool>;
    fn ingest(&self, batch: &IngestBatch) -> StorageResult<IngestOutcome>;
    /// A stored registration's captured document bytes, for internal checks and tests;
    /// reads on behalf of people go through [`RelayStore::read_registration`], which logs.
    fn registration_document(&self, doc_id: &str) -> StorageResult<Option<Vec<u8>>>;
    /// The receipt code a stored registration was filed under (it came out of the seal;
    /// nothing recomputes it from the record).
    fn receipt_code(&self, doc_id: &str) -> StorageResult<Option<String>>;
    /// A registration with all its changes, read on behalf of `reader` and written to the
    /// access log (only when it exists) before it is answered. For this and every other read
    /// that logs: the answer holds exactly what the log holds, and a record removed before
    /// the log entry is committed is answered as removed.
    fn read_registration(
        &self,
        doc_id: &str,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Option<StoredRegistration>>;
    /// Raises a staff tablet's PIN unlock counter (HR reopens its locked-out PIN); `None`
    /// if the device is not an enrolled, unrevoked staff tablet.
    fn issue_staff_unlock(&self, device_key: &[u8; 32], at: i64) -> StorageResult<Option<u64>>;
    /// The latest unlock's counter and issue time while it is still sent (a week).
    fn outstanding_staff_unlock(
        &self,
        device_key: &[u8; 32],
        now: i64,
    ) -> StorageResult<Option<(u64, i64)>>;
    /// Walks the access log's hash chain.
    fn verify_access_log(&self) -> StorageResult<AccessLogVerdict>;
    /// The hash of access-log entry `seq`, if the log holds it (for checkpoints).
    fn access_log_entry_hash(&self, seq: u64) -> StorageResult<Option<[u8; 32]>>;
    /// Up to `limit` access-log entries after `after_seq`, for review.
    fn access_log_entries(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> StorageResult<Vec<(u64, AccessEntry)>>;
    /// One page of the access log as `query` filters it, newest first (not logged: entries
    /// name records by id and people by username, no personal data of visitors).
    fn query_access_log(&self, query: &AccessLogQuery) -> StorageResult<Vec<(u64, AccessEntry)>>;
    fn counts(&self) -> StorageResult<RelayCounts>;
    /// The store's epoch and backup watermark, which every sync response carries.
    fn backup_state(&self) -> StorageResult<BackupState>;
    /// Bytes of captures from one device kept in quarantine.
    fn quarantined_bytes(&self, device_key: &[u8; 32]) -> StorageResult<u64>;
    /// What the relay holds from one device, for the event's closing count.
    fn device_report(&self, device_key: &[u8; 32]) -> StorageResult<Option<DeviceReport>>;
    /// The keys of every enrolled device, or of one event's, in enrollment order.
    fn device_keys(&self, event_id: Option<&str>) -> StorageResult<Vec<[u8; 32]>>;
    /// The event document's changes past `heads` (all of them for heads it does not know);
    /// `None` when `heads` are the document's heads or there is no such event.
    fn event_changes_since(
        &self,
        id: &EventId,
        heads: &[[u8; 32]],
    ) -> StorageResult<Option<Vec<u8>>>;
    /// A stored registration with all its changes, for checking edits (not logged: nothing
    /// leaves the relay).
    fn stored_registration(&self, doc_id: &str) -> StorageResult<Option<StoredRegistration>>;
    /// The removal record of a registration, if it was removed (its bytes erased).
    fn removal(&self, doc_id: &str) -> StorageResult<Option<Removal>>;
    /// Removes a registration: erases its bytes and changes, keeps a removal record citing
    /// `reason`, logs the removal, and numbers it so tablets learn of it. Nothing happens to
    /// a record on legal hold, or when the relay holds no such registration.
    fn remove_registration(
        &self,
        doc_id: &str,
        reason: &str,
        by: &Accessor,
        at: i64,
    ) -> StorageResult<RemovalOutcome>;
    /// Creates an HR user; `None` if the username is taken.
    fn create_hr_user(&self, user: &NewHrUser, at: i64) -> StorageResult<Option<u64>>;
    fn hr_user_by_username(&self, username: &str) -> StorageResult<Option<(HrUser, PasswordHash)>>;
    fn hr_user(&self, id: u64) -> StorageResult<Option<(HrUser, PasswordHash)>>;
    /// Replaces a password and ends all the user's sessions and tokens; `false` if there is
    /// no such user.
    fn set_hr_password(
        &self,
        id: u64,
        password: &PasswordHash,
        must_change: bool,
    ) -> StorageResult<bool>;
    /// Sets a clearance as no HR user (set-up and tests; admins use
    /// [`RelayStore::change_hr_clearance`]): recorded with no author. `false` if there is no
    /// such user.
    fn set_hr_clearance(&self, id: u64, cleared: bool) -> StorageResult<bool> {
        self.change_hr_clearance(
            id,
            cleared,
            None,
            kiosk_core::ids::Timestamp::now().millis(),
        )
    }
    /// Grants or withdraws user `id`'s restricted clearance, made by HR user `by` at `at`,
    /// and records the change in the same transaction; setting it to what it is changes
    /// and records nothing. `false` if there is no such user.
    fn change_hr_clearance(
        &self,
        id: u64,
        cleared: bool,
        by: Option<u64>,
        at: i64,
    ) -> StorageResult<bool>;
    /// The changes of user `id`'s clearance, newest first.
    fn hr_clearance_history(&self, id: u64) -> StorageResult<Vec<ClearanceChange>>;
    /// User `id` and the admin who created them; `None` if there is no such user.
    fn hr_user_origin(&self, id: u64) -> StorageResult<Option<AccountOrigin>>;
    fn put_hr_credential(
        &self,
        secret_hash: &[u8; 32],
        credential: &Credential,
        label: Option<&str>,
        at: i64,
    ) -> StorageResult<()>;
    /// The unexpired credential with this secret hash, and its user, marked used at `now`
    /// (unless it was marked within the last second: the mark serves an idle timeout of
    /// minutes).
    fn hr_credential(
        &self,
        secret_hash: &[u8; 32],
        now: i64,
    ) -> StorageResult<Option<(Credential, HrUser)>>;
    fn delete_hr_credential(&self, secret_hash: &[u8; 32]) -> StorageResult<()>;
    /// Assigns an event to an HR user; `false` if there is no such user.
    fn assign_hr_event(&self, user_id: u64, event_id: &str) -> StorageResult<bool>;
    /// Takes an event from a user's assignments; `false` if it was not assigned.
    fn unassign_hr_event(&self, user_id: u64, event_id: &str) -> StorageResult<bool>;
    fn hr_assigned_events(&self, user_id: u64) -> StorageResult<Vec<String>>;
    /// Every HR user, by username, with roles, clearance, assigned events, creator and the
    /// admin whose clearance grant is in force.
    fn hr_directory(&self) -> StorageResult<Vec<DirectoryEntry>>;
    /// Makes a change of a user's access (disable, enable, remove a role or the clearance,
    /// reset the password, revoke a token) with its record and access-log entry, in one
    /// transaction that also keeps at least one enabled admin.
    fn change_hr_account(&self, change: &AccountChange) -> StorageResult<AccountChangeOutcome>;
    /// The recorded changes of user `user_id`'s access, newest first.
    fn hr_account_changes(&self, user_id: u64) -> StorageResult<Vec<AccountChangeRecord>>;
    /// User `user_id`'s unexpired API tokens, newest first (never their secrets).
    fn hr_api_tokens(&self, user_id: u64, now: i64) -> StorageResult<Vec<TokenInfo>>;
    /// Requests by users without the clearance that matched restricted records, for the
    /// users who hold it, newest first.
    fn restricted_requests(&self, limit: u32) -> StorageResult<Vec<RestrictedRequest>>;
    /// The registrations `filter` selects, newest first, each listed row logged as read by
    /// `reader` before it is answered.
    fn list_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<Vec<RegistrationSummary>>;
    /// Appends one entry to the access log on its own (a refused attempt, say).
    fn log_access(&self, entry: &AccessEntry) -> StorageResult<()>;
    /// One page of a bulk export: up to `filter.limit` registrations `filter` selects after
    /// `filter.after`, newest first, never restricted ones (whatever `filter` says), each
    /// with its whole document, and each logged as exported by `reader` before it is
    /// answered.
    fn export_registrations(
        &self,
        filter: &RegistrationFilter,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<ExportPage>;
    /// Applies an HR user's edit (a note, their rating, the status) to a registration as
    /// `editor`'s own Automerge actor: the change joins the change log under the next commit
    /// number, so staff tablets pull it and lists show it, with a `change` entry in the
    /// access log, in one transaction. Nothing is written for a registration the relay does
    /// not hold, nor for an edit that changes nothing.
    fn apply_hr_edit(
        &self,
        doc_id: &str,
        edit: &HrEdit,
        editor: &HrEditor,
        at: i64,
    ) -> StorageResult<HrEditOutcome>;
    /// Up to `limit` restricted registrations of `events` (every event for `None`),
    /// uncontacted (status new) first, oldest first, each logged as listed by `reader`
    /// before it is answered.
    fn restricted_registrations(
        &self,
        events: Option<&[String]>,
        reader: &Accessor,
        at: i64,
        limit: u32,
    ) -> StorageResult<Vec<RegistrationSummary>>;
    /// Up to `limit` quarantined captures numbered below `before`, newest first, with their
    /// reviews; nothing of the documents.
    fn quarantined_captures(
        &self,
        before: Option<u64>,
        limit: u32,
    ) -> StorageResult<Vec<QuarantinedCapture>>;
    /// One quarantined capture with the bytes kept of it, for review (not logged: nothing
    /// leaves the relay).
    fn quarantined_capture(&self, id: u64) -> StorageResult<Option<(QuarantinedCapture, Vec<u8>)>>;
    /// Records HR's final decision on quarantined capture `id` (by user `reviewer`, whom the
    /// access log names `by`) and, on accepting, stores the capture as a registration; one
    /// transaction with a `change` entry in the access log.
    fn review_quarantined(
        &self,
        id: u64,
        action: &ReviewAction,
        reason: &str,
        reviewer: &str,
        by: &Accessor,
        at: i64,
    ) -> StorageResult<ReviewOutcome>;

    // ---- Records lifecycle: retention, legal hold, withdrawal.
    /// The retention rule of every event that has records, as it stands now.
    fn retention_rules(&self) -> StorageResult<Vec<AppliedRule>>;
    /// Per event with records: its rule, and how many records are due at `as_of` and how
    /// many of those a legal hold keeps.
    fn retention_due(&self, as_of: i64) -> StorageResult<Vec<RetentionDue>>;
    /// When one stored record falls due, under which rule, and what stops or changed it.
    fn record_retention(&self, doc_id: &str) -> StorageResult<Option<RecordRetention>>;
    /// Sets (`hold`) or lifts a legal hold on a stored record, recording who and why.
    fn change_legal_hold(
        &self,
        doc_id: &str,
        hold: bool,
        reason: &str,
        by: &str,
        at: i64,
    ) -> StorageResult<HoldChange>;
    fn legal_holds(&self) -> StorageResult<Vec<LegalHold>>;
    /// Every hold set or lifted on a record, oldest first.
    fn legal_hold_history(&self, doc_id: &str) -> StorageResult<Vec<HoldHistoryEntry>>;
    /// Records a talent-pool withdrawal, in effect at once (logged as a `change`).
    fn withdraw_talent_pool(
        &self,
        doc_id: &str,
        by: &Accessor,
        by_name: &str,
        at: i64,
    ) -> StorageResult<WithdrawalOutcome>;
    /// Starts a retention run as of `at`; `Err` with the run still going, if one is.
    fn start_retention_run(
        &self,
        by: &str,
        at: i64,
    ) -> StorageResult<Result<RetentionRun, RetentionRun>>;
    /// Removes up to `batch` records the run finds due, or finishes it.
    fn retention_run_step(&self, run_id: i64, batch: usize, at: i64) -> StorageResult<RunStep>;
    fn retention_run(&self, run_id: i64) -> StorageResult<Option<RetentionRun>>;
    /// The newest runs first.
    fn retention_runs(&self, limit: u32) -> StorageResult<Vec<RetentionRun>>;
    /// The run a killed relay left unfinished, to resume.
    fn unfinished_retention_run(&self) -> StorageResult<Option<RetentionRun>>;
    // ---- Records lifecycle: subject access and disclosure.
    /// Every registration `lookup` names (a receipt code's registration and those sharing its
    /// email or phone), restricted ones read only if `cleared` (else counted), each with the
    /// access-log entries about it; each record read is logged `subject_access` by `reader`,
    /// each withheld one `read_refused`, before it is answered.
    fn subject_access(
        &self,
        lookup: &SubjectLookup,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<SubjectAccessFound>;
    /// The registrations `selection` names, for an official's secrecy review: held ones read
    /// whole (restricted ones only if `cleared`), the rest named as withheld, removed (with
    /// the removal's time and rule) or not held. Each record read is logged `disclosure` by
    /// `reader`, each withheld one `read_refused`, before it is answered.
    fn disclosure(
        &self,
        selection: &DisclosureSelection,
        cleared: bool,
        reader: &Accessor,
        at: i64,
    ) -> StorageResult<DisclosureOutcome>;
    // ---- Records lifecycle: reconciliation.
    /// Event `event_id`'s devices with how far their journals reach as the relay saw them,
    /// and the event's quarantine decisions and removals, read together (counts only).
    fn reconciliation_tally(
        &self,
        event_id: &str,
    ) -> StorageResult<sqlite::reconciliation::EventTally>;
    // ---- Records lifecycle: access-log retention.
    /// Where the access log starts once retention removed its oldest entries, if it did.
    fn access_log_horizon(&self) -> StorageResult<Option<AccessLogHorizon>>;
    /// Removes the access-log entries made before `older_than` from the log's start (never
    /// its newest entry), moving the horizon there under `rule`; refused over a broken chain.
    fn prune_access_log(
        &self,
        older_than: i64,
        rule: &str,
        now: i64,
    ) -> StorageResult<AccessLogPruning>;
}
