//! Records and enums that cross the boundary, each mirroring a core type with a `From`
//! conversion. Times are milliseconds since the Unix epoch; hashes and keys are lower-case hex.

use std::collections::HashMap;

use kiosk_core::annotations::{Note, RecordStatus as CoreStatus};
use kiosk_core::event::Event;
use kiosk_core::form::{Choice as CoreChoice, FieldRequirement as CoreRequirement};
use kiosk_core::journal::JournalHead;
use kiosk_core::language::{Language as CoreLanguage, Localized};
use kiosk_core::staff_records::StaffRecord;
use kiosk_core::validation::{Field, FieldError, RegistrationInput};

/// The visitor's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Language {
    Swedish,
    English,
}

impl From<CoreLanguage> for Language {
    fn from(language: CoreLanguage) -> Language {
        match language {
            CoreLanguage::Swedish => Language::Swedish,
            CoreLanguage::English => Language::English,
        }
    }
}

impl From<Language> for CoreLanguage {
    fn from(language: Language) -> CoreLanguage {
        match language {
            Language::Swedish => CoreLanguage::Swedish,
            Language::English => CoreLanguage::English,
        }
    }
}

/// What a tablet is enrolled as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DeviceRole {
    /// Faces visitors.
    Kiosk,
    /// A recruiter's tablet, holding pulled registrations.
    Staff,
}

impl From<kiosk_core::device::DeviceRole> for DeviceRole {
    fn from(role: kiosk_core::device::DeviceRole) -> DeviceRole {
        match role {
            kiosk_core::device::DeviceRole::Kiosk => DeviceRole::Kiosk,
            kiosk_core::device::DeviceRole::Staff => DeviceRole::Staff,
        }
    }
}

impl From<DeviceRole> for kiosk_core::device::DeviceRole {
    fn from(role: DeviceRole) -> kiosk_core::device::DeviceRole {
        match role {
            DeviceRole::Kiosk => kiosk_core::device::DeviceRole::Kiosk,
            DeviceRole::Staff => kiosk_core::device::DeviceRole::Staff,
        }
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LocalizedText {
    pub sv: String,
    pub en: String,
}

impl From<Localized> for LocalizedText {
    fn from(text: Localized) -> LocalizedText {
        LocalizedText {
            sv: text.sv,
            en: text.en,
        }
    }
}

/// Whether the form shows a field, and whether it must be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FieldRequirement {
    Off,
    Optional,
    Required,
}

impl From<CoreRequirement> for FieldRequirement {
    fn from(requirement: CoreRequirement) -> FieldRequirement {
        match requirement {
            CoreRequirement::Off => FieldRequirement::Off,
            CoreRequirement::Optional => FieldRequirement::Optional,
            CoreRequirement::Required => FieldRequirement::Required,
        }
    }
}

/// One pickable item: an interest area, a location, an education level.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Choice {
    pub code: String,
    pub label: LocalizedText,
}

impl From<CoreChoice> for Choice {
    fn from(choice: CoreChoice) -> Choice {
        Choice {
            code: choice.code,
            label: choice.label.into(),
        }
    }
}

/// The form a visitor is shown: its version, fields, choices and notices.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FormView {
    pub event_name: LocalizedText,
    pub venue: String,
    pub languages: Vec<Language>,
    /// The content-addressed version the visitor answers; cited by the registration.
    pub form_version: String,
    pub email: FieldRequirement,
    pub phone: FieldRequirement,
    pub locations_field: FieldRequirement,
    pub education_level: FieldRequirement,
    pub free_text: FieldRequirement,
    pub interest_areas: Vec<Choice>,
    pub max_interests: u8,
    pub locations: Vec<Choice>,
    pub education_levels: Vec<Choice>,
    pub privacy_notice: LocalizedText,
    pub talent_pool_notice: LocalizedText,
    pub retention_months: u16,
    /// The label of each field the visitor fills in, in form order.
    pub field_labels: Vec<FieldLabel>,
    pub protected_data_label: LocalizedText,
    /// The "still there?" prompt and the button that extends the session.
    pub still_there_prompt: LocalizedText,
    pub still_there_button: LocalizedText,
}

/// A field's label as the form shows it; `field` is the name `FieldProblem` uses.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldLabel {
    pub field: String,
    pub label: LocalizedText,
}

impl From<Field> for FieldLabel {
    fn from(field: Field) -> FieldLabel {
        FieldLabel {
            field: field.code().to_owned(),
            label: LocalizedText {
                sv: field.label(CoreLanguage::Swedish).to_owned(),
                en: field.label(CoreLanguage::English).to_owned(),
            },
        }
    }
}

impl FormView {
    pub(crate) fn new(
        event_name: Localized,
        event: Option<&Event>,
        form: kiosk_core::event::PublishedForm,
    ) -> FormView {
        let definition = form.form;
        let (still_there_prompt, still_there_button) = kiosk_core::visitor::still_there_texts();
        FormView {
            event_name: event_name.into(),
            venue: event.map(|e| e.venue.clone()).unwrap_or_default(),
            languages: event
                .map(|e| e.languages.iter().copied().map(Language::from).collect())
                .unwrap_or_default(),
            form_version: form.version.to_string(),
            email: definition.fields.email.into(),
            phone: definition.fields.phone.into(),
            locations_field: definition.fields.locations.into(),
            education_level: definition.fields.education_level.into(),
            free_text: definition.fields.free_text.into(),
            interest_areas: definition
                .interest_areas
                .into_iter()
                .map(Into::into)
                .collect(),
            max_interests: definition.max_interests,
            locations: definition.locations.into_iter().map(Into::into).collect(),
            education_levels: definition
                .education_levels
                .into_iter()
                .map(Into::into)
                .collect(),
            privacy_notice: definition.privacy_notice.into(),
            talent_pool_notice: definition.talent_pool_notice.into(),
            retention_months: definition.retention.months_after_capture,
            field_labels: Field::VISITOR_FIELDS.into_iter().map(Into::into).collect(),
            protected_data_label: kiosk_core::visitor::protected_data_label().into(),
            still_there_prompt: still_there_prompt.into(),
            still_there_button: still_there_button.into(),
        }
    }
}

/// What the visitor entered, as the form shows it now.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct RegistrationDraft {
    #[uniffi(default = None)]
    pub language: Option<Language>,
    pub given_name: String,
    pub family_name: String,
    #[uniffi(default = "")]
    pub email: String,
    #[uniffi(default = "")]
    pub phone: String,
    #[uniffi(default = [])]
    pub interests: Vec<String>,
    #[uniffi(default = [])]
    pub locations: Vec<String>,
    #[uniffi(default = "")]
    pub education_level: String,
    #[uniffi(default = "")]
    pub free_text: String,
    #[uniffi(default = false)]
    pub privacy_notice_acknowledged: bool,
    /// Unticked unless the visitor ticks it.
    #[uniffi(default = false)]
    pub talent_pool_opt_in: bool,
    /// "I have protected personal data" (skyddade personuppgifter).
    #[uniffi(default = false)]
    pub protected_personal_data: bool,
}

impl From<RegistrationDraft> for RegistrationInput {
    fn from(draft: RegistrationDraft) -> RegistrationInput {
        RegistrationInput {
            language: draft.language.map(Into::into),
            given_name: draft.given_name,
            family_name: draft.family_name,
            email: draft.email,
            phone: draft.phone,
            interests: draft.interests,
            locations: draft.locations,
            education_level: draft.education_level,
            free_text: draft.free_text,
            privacy_notice_acknowledged: draft.privacy_notice_acknowledged,
            talent_pool_opt_in: draft.talent_pool_opt_in,
            protected_personal_data: draft.protected_personal_data,
        }
    }
}

/// One refused field of a submission.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldProblem {
    /// The form field (`email`, `given_name`, …).
    pub field: String,
    /// A stable reason code (`invalid_email`, `required`, …).
    pub reason: String,
    /// The label and what to do, for a summary at the top of the form.
    pub message_sv: String,
    pub message_en: String,
    /// What to do, without the label, for an error shown beside its field.
    pub explanation_sv: String,
    pub explanation_en: String,
}

impl From<FieldError> for FieldProblem {
    fn from(error: FieldError) -> FieldProblem {
        FieldProblem {
            field: error.field.code().to_owned(),
            reason: error.reason.code().to_owned(),
            message_sv: error.message(CoreLanguage::Swedish),
            message_en: error.message(CoreLanguage::English),
            explanation_sv: error.reason.explain(CoreLanguage::Swedish),
            explanation_en: error.reason.explain(CoreLanguage::English),
        }
    }
}

/// What the visitor gets back after submitting: their receipt, shown once on the thank-you
/// screen (as a QR code of `receipt_page_address` and as the typed `receipt_code`) and then
/// forgotten. Whoever holds the code can use it, so a shell never stores or logs it.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Receipt {
    pub registration_id: String,
    /// The receipt code as shown: 27 upper-case symbols in groups of four, e.g.
    /// `7ZQK-M4XR-TB9D-1H6C-ANPE-W3VS-G2F*`.
    pub receipt_code: String,
    /// The relay's receipt page with the code in the fragment
    /// (`https://relay.example.se/kvitto#7ZQKM4XR…`): what the QR code holds. `None` while
    /// the tablet knows no relay address (enrolled over the shell's own transport without
    /// `set_relay_address`).
    pub receipt_page_address: Option<String>,
    pub captured_at_ms: i64,
}

/// Without the code or the address that carries it.
impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receipt")
            .field("registration_id", &self.registration_id)
            .field("receipt_code", &"…")
            .field(
                "receipt_page_address",
                &self.receipt_page_address.as_ref().map(|_| "…"),
            )
            .field("captured_at_ms", &self.captured_at_ms)
            .finish()
    }
}

impl From<kiosk_core::device::Receipt> for Receipt {
    fn from(receipt: kiosk_core::device::Receipt) -> Receipt {
        Receipt {
            registration_id: receipt.registration_id.to_string(),
            receipt_code: receipt.code(),
            receipt_page_address: receipt.page_address,
            captured_at_ms: receipt.captured_at.millis(),
        }
    }
}

/// What the shell should show, given the time since the visitor last did anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IdleState {
    Active,
    /// Ask "Är du kvar? / Still there?"; any activity continues the session.
    AskStillThere,
    /// Reset now: the draft belongs to someone who left.
    Expired,
}

impl From<kiosk_core::visitor::IdleState> for IdleState {
    fn from(state: kiosk_core::visitor::IdleState) -> IdleState {
        match state {
            kiosk_core::visitor::IdleState::Active => IdleState::Active,
            kiosk_core::visitor::IdleState::AskStillThere => IdleState::AskStillThere,
            kiosk_core::visitor::IdleState::Expired => IdleState::Expired,
        }
    }
}

/// A journal's length and head hash.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct JournalSummary {
    pub count: u64,
    pub head: String,
}

impl From<JournalHead> for JournalSummary {
    fn from(head: JournalHead) -> JournalSummary {
        JournalSummary {
            count: head.count,
            head: hex::encode(head.head),
        }
    }
}

/// What staff see of a kiosk: counts and the journal, never a visitor's data.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KioskOverview {
    pub captured: u64,
    pub sent: u64,
    pub received: u64,
    pub journal: JournalSummary,
    /// Handing the tablet back loses nothing: `hand_back` is `Safe`.
    pub safe_to_hand_back: bool,
    /// Why it is safe or not.
    pub hand_back: HandBackState,
    /// What staff should do about `hand_back`, to show beside it.
    pub hand_back_advice: LocalizedText,
    /// A later enrollment named other witnesses than the ones required: a warning to show
    /// until `StaffMode.require_witnesses` settles it. `None` otherwise.
    pub witness_warning: Option<LocalizedText>,
    /// The last sync found the tablet clock more than ten minutes behind the witness's:
    /// captures still count; a notice to show (set the clock right). `None` otherwise.
    pub clock_warning: Option<LocalizedText>,
}

impl From<kiosk_core::staff::KioskOverview> for KioskOverview {
    fn from(overview: kiosk_core::staff::KioskOverview) -> KioskOverview {
        KioskOverview {
            captured: overview.captured,
            sent: overview.sent,
            received: overview.received,
            journal: overview.journal.into(),
            safe_to_hand_back: overview.safe_to_hand_back,
            hand_back_advice: kiosk_core::user_messages::hand_back_message(&overview.hand_back)
                .into(),
            hand_back: overview.hand_back.into(),
            witness_warning: overview
                .other_witnesses_offered
                .then(|| kiosk_core::user_messages::witnesses_offered_message().into()),
            clock_warning: overview
                .clock_behind_witness
                .then(|| kiosk_core::user_messages::clock_behind_witness_message().into()),
        }
    }
}

/// A restore of the relay's log staff have not acknowledged (core `LogRestore`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LogRestoreState {
    /// The size of the log the tablet held before.
    pub from: u64,
    /// The size of the restored log.
    pub to: u64,
    /// Tablet time the restore was seen, ms.
    pub at_ms: i64,
    /// What staff must hear, in Swedish and English.
    pub message: LocalizedText,
}

impl From<kiosk_core::sync::LogRestore> for LogRestoreState {
    fn from(restore: kiosk_core::sync::LogRestore) -> LogRestoreState {
        LogRestoreState {
            from: restore.from,
            to: restore.to,
            at_ms: restore.at,
            message: kiosk_core::user_messages::log_restore_message(restore.from, restore.to)
                .into(),
        }
    }
}

/// Whether a tablet may be handed back, and if not why (core `HandBack`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum HandBackState {
    /// Every record has a receipt and the relay's signed journal is this tablet's.
    Safe,
    /// Records without a receipt: sync.
    Unsent { unreceipted: u64 },
    /// A staff tablet's notes, ratings or statuses of `records` registrations the relay
    /// lacks: sync.
    UnsentEdits { records: u64 },
    /// The relay refused the last sync with `code`: enroll again (or HR fixes the relay).
    RelayRefuses { code: String },
    /// The relay confirms `relay` of the tablet's `tablet` journal entries and the rest can
    /// no longer be sent: tell HR.
    RelayLacks { tablet: u64, relay: u64 },
    /// Enrolled again and not synced since: sync.
    Unconfirmed { tablet: u64 },
    /// The relay showed a transparency log contradicting the one the tablet saw before
    /// (`code` says how): syncing is stopped; show `hand_back_advice` loudly, keep the
    /// tablet from visitors, and give `StaffMode.log_fork_evidence()` to IT/security.
    LogFork { code: String },
    /// The relay was restored from a backup and its log went back from `from` to `to`
    /// entries, with no witness confirming it: records are sent again by themselves; show
    /// `hand_back_advice`, tell IT/security, then `StaffMode.acknowledge_log_restore(at_ms)`.
    LogRestored { from: u64, to: u64 },
    /// Of `unreceipted` captures without a receipt, `captures` wait for the required
    /// witnesses to cosign the relay's log holding them: sync again later.
    AwaitingWitness { captures: u64, unreceipted: u64 },
    /// The last sync saw the relay restored from a backup the required witnesses have not
    /// confirmed (its log from `from` to `to` entries): nothing applied; sync again later,
    /// tell IT/security if it lasts.
    LogRestoreUnconfirmed { from: u64, to: u64 },
}

impl From<kiosk_core::device::HandBack> for HandBackState {
    fn from(hand_back: kiosk_core::device::HandBack) -> HandBackState {
        use kiosk_core::device::HandBack as Core;
        match hand_back {
            Core::Safe => HandBackState::Safe,
            Core::Unsent { unreceipted } => HandBackState::Unsent { unreceipted },
            Core::UnsentEdits { records } => HandBackState::UnsentEdits { records },
            Core::RelayRefuses(refusal) => HandBackState::RelayRefuses { code: refusal.code },
            Core::RelayLacks { tablet, relay } => HandBackState::RelayLacks { tablet, relay },
            Core::Unconfirmed { tablet } => HandBackState::Unconfirmed { tablet },
            Core::LogFork { code } => HandBackState::LogFork { code },
            Core::LogRestored { from, to } => HandBackState::LogRestored { from, to },
            Core::AwaitingWitness {
                captures,
                unreceipted,
            } => HandBackState::AwaitingWitness {
                captures,
                unreceipted,
            },
            Core::LogRestoreUnconfirmed { from, to } => {
                HandBackState::LogRestoreUnconfirmed { from, to }
            }
        }
    }
}

/// Where a tablet stands, for a shell choosing between setup, "not ready" and the visitor's
/// welcome, and whether to sync in the background. Read without the PIN: holds no personal
/// data.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceSetup {
    pub role: DeviceRole,
    /// The relay certified this tablet (enrollment done).
    pub enrolled: bool,
    /// When the certificate expires; `None` before enrollment.
    pub enrollment_expires_at_ms: Option<i64>,
    /// The installed event's name. A tablet enrolled without an event gets it with its first
    /// sync: until then there is nothing to show visitors.
    pub event_name: Option<LocalizedText>,
    pub staff_pin_set: bool,
    /// The relay ordered this tablet wiped: show staff the wipe, not visitors the form.
    pub wipe_ordered: bool,
    /// When a sync last completed; `None` before the first.
    pub last_sync_ok_at_ms: Option<i64>,
    /// The relay refused the last sync, and none was answered since: background sync can
    /// stop until staff act.
    pub relay_refusal: Option<RelayRefusal>,
}

/// The relay's refusal that ended the last sync, and what staff should do.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RelayRefusal {
    /// The HTTP status (401, 403), or 200 for a refusal inside a signed answer.
    pub status: u16,
    /// The relay's code (`unknown_device`, `revoked`, …).
    pub code: String,
    pub at_ms: i64,
    pub message_sv: String,
    pub message_en: String,
}

impl From<kiosk_core::device::SyncRefusal> for RelayRefusal {
    fn from(refusal: kiosk_core::device::SyncRefusal) -> RelayRefusal {
        let text = kiosk_core::user_messages::refusal_message(&refusal);
        RelayRefusal {
            status: refusal.status,
            code: refusal.code,
            at_ms: refusal.at.millis(),
            message_sv: text.sv,
            message_en: text.en,
        }
    }
}

/// What the relay certified at enrollment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrollment {
    pub device_id: String,
    pub event_id: String,
    pub role: DeviceRole,
    /// The recruiter a staff tablet is bound to.
    pub recruiter: Option<String>,
    pub expires_at_ms: i64,
}

/// What became of one record the tablet sent.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RecordOutcome {
    Received,
    /// Held in quarantine at the relay for HR to review: received all the same.
    Quarantined,
    /// A staff tablet's edits were stored.
    EditsStored,
    /// Refused with the relay's code; the record stays on the tablet.
    Refused {
        code: String,
    },
}

impl From<kiosk_core::sync::RecordOutcome> for RecordOutcome {
    fn from(outcome: kiosk_core::sync::RecordOutcome) -> RecordOutcome {
        use kiosk_core::sync::RecordOutcome as Core;
        match outcome {
            Core::Received => RecordOutcome::Received,
            Core::Quarantined => RecordOutcome::Quarantined,
            Core::EditsStored => RecordOutcome::EditsStored,
            Core::Refused(code) => RecordOutcome::Refused {
                code: code.as_str().to_owned(),
            },
        }
    }
}

/// A record the relay refused.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RefusedRecord {
    pub registration_id: String,
    pub code: String,
}

/// What one sync achieved.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    pub requests: u32,
    pub received: u64,
    pub quarantined: u64,
    pub refused: Vec<RefusedRecord>,
    /// The journal the relay confirmed at the end.
    pub relay_journal: Option<JournalSummary>,
    /// The relay ordered this tablet wiped (it was revoked).
    pub wipe_requested: bool,
    pub erased: u64,
    /// Captures sent again because the relay was restored from a backup.
    pub resent: u64,
    /// Registrations whose edits counted stored went again because the relay's log was
    /// restored (the relay may still hold them).
    pub edits_resent: u64,
    /// Registrations whose edits, sent again after a restore, the relay refused: dropped,
    /// not kept on the tablet. Told once: show `resend_refused_message`.
    pub resend_refused: u64,
    /// What to tell staff of `resend_refused`, the core's words; `None` when it is 0.
    pub resend_refused_message: Option<LocalizedText>,
    pub event_updated: bool,
    pub pulled: u64,
    pub edits_stored: u64,
    pub removed: u64,
    pub unlock_received: bool,
    pub skipped: u64,
    /// Registrations or edits the relay stored but did not prove in its transparency log:
    /// not received (edits not stored), kept on the tablet and sent again next sync.
    pub log_unproven: u64,
    /// What to tell staff of `log_unproven`, the core's words; `None` when it is 0.
    pub log_unproven_message: Option<LocalizedText>,
}

impl From<kiosk_core::sync::SyncReport> for SyncSummary {
    fn from(report: kiosk_core::sync::SyncReport) -> SyncSummary {
        SyncSummary {
            requests: report.requests,
            received: report.received,
            quarantined: report.quarantined,
            refused: report
                .refused
                .into_iter()
                .map(|(registration_id, code)| RefusedRecord {
                    registration_id,
                    code: code.as_str().to_owned(),
                })
                .collect(),
            relay_journal: report.relay_journal.map(Into::into),
            wipe_requested: report.wipe_requested,
            erased: report.erased,
            resent: report.resent,
            edits_resent: report.edits_resent,
            resend_refused: report.resend_refused,
            resend_refused_message: (report.resend_refused > 0).then(|| {
                kiosk_core::user_messages::resend_refused_message(report.resend_refused).into()
            }),
            event_updated: report.event_updated,
            pulled: report.pulled,
            edits_stored: report.edits_stored,
            removed: report.removed,
            unlock_received: report.unlock_received,
            skipped: report.skipped,
            log_unproven: report.log_unproven,
            log_unproven_message: (report.log_unproven > 0).then(|| {
                kiosk_core::user_messages::log_unproven_message(report.log_unproven).into()
            }),
        }
    }
}

/// How a sync runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncOptions {
    /// Documents per request (1–1000), so a request fits a mobile background window.
    #[uniffi(default = 100)]
    pub max_documents: u32,
    /// How long to wait for one answer before giving up on it (1 s – 10 min).
    #[uniffi(default = 60000)]
    pub request_timeout_ms: u64,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            max_documents: 100,
            request_timeout_ms: 60_000,
        }
    }
}

/// Why a sync failed, for a listener's `failed`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncFailure {
    /// `network`, `rejected`, `cancelled`, `callback`, `storage`, …
    pub kind: String,
    pub message_sv: String,
    pub message_en: String,
}

/// A recruiter's status of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecordStatus {
    New,
    Shortlisted,
    Contacted,
    Interviewing,
    NotProceeding,
    Hired,
}

impl From<CoreStatus> for RecordStatus {
    fn from(status: CoreStatus) -> RecordStatus {
        match status {
            CoreStatus::New => RecordStatus::New,
            CoreStatus::Shortlisted => RecordStatus::Shortlisted,
            CoreStatus::Contacted => RecordStatus::Contacted,
            CoreStatus::Interviewing => RecordStatus::Interviewing,
            CoreStatus::NotProceeding => RecordStatus::NotProceeding,
            CoreStatus::Hired => RecordStatus::Hired,
        }
    }
}

impl From<RecordStatus> for CoreStatus {
    fn from(status: RecordStatus) -> CoreStatus {
        match status {
            RecordStatus::New => CoreStatus::New,
            RecordStatus::Shortlisted => CoreStatus::Shortlisted,
            RecordStatus::Contacted => CoreStatus::Contacted,
            RecordStatus::Interviewing => CoreStatus::Interviewing,
            RecordStatus::NotProceeding => CoreStatus::NotProceeding,
            RecordStatus::Hired => CoreStatus::Hired,
        }
    }
}

/// A status as a shell offers it: its code (in forms and logs) and its label.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordStatusChoice {
    pub status: RecordStatus,
    pub code: String,
    pub label: LocalizedText,
}

/// Every status, in the order a recruiter moves a registration through them, with the
/// core's codes and labels, so no shell words them again.
#[uniffi::export]
pub fn record_statuses() -> Vec<RecordStatusChoice> {
    CoreStatus::ALL
        .into_iter()
        .map(|status| {
            let (sv, en) = status.label();
            RecordStatusChoice {
                status: status.into(),
                code: status.as_str().to_owned(),
                label: LocalizedText {
                    sv: sv.to_owned(),
                    en: en.to_owned(),
                },
            }
        })
        .collect()
}

/// A recruiter's note on a registration.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NoteView {
    pub id: String,
    pub author: String,
    pub written_at_ms: i64,
    pub text: String,
}

impl From<Note> for NoteView {
    fn from(note: Note) -> NoteView {
        NoteView {
            id: note.id,
            author: note.author,
            written_at_ms: note.written_at.millis(),
            text: note.text,
        }
    }
}

/// One registration as a staff tablet shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StaffRecordView {
    pub registration_id: String,
    pub captured_at_ms: i64,
    pub language: Language,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub interests: Vec<String>,
    pub locations: Vec<String>,
    pub education_level: Option<String>,
    pub free_text: Option<String>,
    /// In the talent pool now: opted in at capture and not withdrawn since.
    pub talent_pool_opt_in: bool,
    /// The visitor withdrew the talent-pool consent since the capture (the relay told this
    /// tablet): show it, and do not contact them about other roles.
    pub talent_pool_withdrawn: bool,
    pub notes: Vec<NoteView>,
    /// One score (1–5) per recruiter, by name.
    pub ratings: HashMap<String, i64>,
    pub status: RecordStatus,
    /// Changes made on this tablet that the relay may lack and the tablet still sends:
    /// never stored, or sent again after a restore of the relay's log.
    pub unsent_changes: u64,
}

impl From<StaffRecord> for StaffRecordView {
    fn from(record: StaffRecord) -> StaffRecordView {
        let registration = record.registration;
        StaffRecordView {
            registration_id: registration.id.to_string(),
            captured_at_ms: registration.captured_at.millis(),
            language: registration.language.into(),
            given_name: registration.person.given_name.clone(),
            family_name: registration.person.family_name.clone(),
            email: registration.person.email.clone(),
            phone: registration.person.phone.clone(),
            interests: registration.interests,
            locations: registration.locations,
            education_level: registration.education_level,
            free_text: registration.free_text,
            talent_pool_opt_in: registration.consents.talent_pool.is_some()
                && !record.talent_pool_withdrawn,
            talent_pool_withdrawn: record.talent_pool_withdrawn,
            notes: record
                .annotations
                .notes
                .into_iter()
                .map(Into::into)
                .collect(),
            ratings: record.annotations.ratings.into_iter().collect(),
            status: record.annotations.status.into(),
            unsent_changes: record.unsent_changes as u64,
        }
    }
}

/// What a revoked tablet's wipe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WipeOutcome {
    /// The store's files and the data key are erased.
    Wiped,
    /// Records still lack a receipt or a relay backup; sync, then try again.
    Waiting {
        unreceipted: u64,
        not_backed_up: u64,
    },
}

impl From<kiosk_core::device::WipeOutcome> for WipeOutcome {
    fn from(outcome: kiosk_core::device::WipeOutcome) -> WipeOutcome {
        match outcome {
            kiosk_core::device::WipeOutcome::Wiped => WipeOutcome::Wiped,
            kiosk_core::device::WipeOutcome::Waiting {
                unreceipted,
                not_backed_up,
            } => WipeOutcome::Waiting {
                unreceipted,
                not_backed_up,
            },
        }
    }
}
