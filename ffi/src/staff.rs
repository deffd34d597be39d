//! `StaffMode`: what a recruiter sees after the PIN. On a kiosk, counts and the journal;
//! on a staff tablet also the event's pulled registrations, with notes, ratings and status.

use std::sync::{Arc, Mutex, MutexGuard};

use kiosk_core::ids::{RegistrationId, Timestamp};

use crate::device::KioskDevice;
use crate::error::KioskError;
use crate::types::{JournalSummary, KioskOverview, LogRestoreState, RecordStatus, StaffRecordView};

/// Staff mode, opened by PIN. `lock()` ends it; so does closing the device.
#[derive(Debug, uniffi::Object)]
pub struct StaffMode {
    device: Arc<KioskDevice>,
    session: Mutex<Option<kiosk_core::staff::StaffSession>>,
}

impl StaffMode {
    pub(crate) fn new(
        device: Arc<KioskDevice>,
        session: kiosk_core::staff::StaffSession,
    ) -> StaffMode {
        StaffMode {
            device,
            session: Mutex::new(Some(session)),
        }
    }

    fn with<T>(
        &self,
        work: impl FnOnce(&kiosk_core::staff::StaffSession) -> kiosk_core::Result<T>,
    ) -> Result<T, KioskError> {
        self.device.core()?;
        let guard: MutexGuard<'_, _> = self
            .session
            .lock()
            .map_err(|_| KioskError::from(kiosk_core::Error::Poisoned))?;
        let session = guard.as_ref().ok_or_else(KioskError::closed)?;
        Ok(work(session)?)
    }
}

fn parse_registration_id(text: &str) -> Result<RegistrationId, KioskError> {
    RegistrationId::parse(text).ok_or_else(|| {
        KioskError::from(kiosk_core::Error::UnknownRegistration {
            doc_id: String::new(),
        })
    })
}

#[uniffi::export]
impl StaffMode {
    /// Counts and the journal: what staff check before handing a kiosk back.
    pub fn overview(&self) -> Result<KioskOverview, KioskError> {
        self.with(|s| s.overview()).map(Into::into)
    }

    /// Walks the journal and checks every link.
    pub fn verify_journal(&self) -> Result<JournalSummary, KioskError> {
        self.with(|s| s.verify_journal()).map(Into::into)
    }

    /// When the relay's transparency log forked (`hand_back` is `LogFork`): the evidence
    /// the tablet kept, as text to hand IT/security (both checkpoints, the failed proof,
    /// the relay-signed answer). `None` if there was no fork.
    pub fn log_fork_evidence(&self) -> Result<Option<String>, KioskError> {
        self.with(|s| s.log_fork_evidence())
    }

    /// Requires the cosignatures of exactly these witnesses (C2SP tlog-cosignature
    /// verifier keys, 1 to 16) before a capture counts as received, in place of any pinned
    /// before (at enrollment or by an earlier call). A key that does not read is refused.
    pub fn require_witnesses(&self, witness_keys: Vec<String>) -> Result<(), KioskError> {
        self.with(|s| s.require_witnesses(&witness_keys))
    }

    /// The witnesses' verifier keys (vkey text) this tablet requires now, in the order
    /// pinned; empty: none. What `require_witnesses` replaces.
    pub fn required_witnesses(&self) -> Result<Vec<String>, KioskError> {
        self.with(|s| s.required_witnesses())
    }

    /// A restore of the relay's log that no witness confirmed and staff have not
    /// acknowledged yet: show it (its `message`) with an acknowledge button whatever
    /// `hand_back` says. `None` otherwise.
    pub fn log_restore(&self) -> Result<Option<LogRestoreState>, KioskError> {
        self.with(|s| s.log_restore()).map(|r| r.map(Into::into))
    }

    /// Staff saw that the relay was restored from a backup (`log_restore()` is set)
    /// and told IT/security: the tablet may be handed back again. `shown_at_ms` is the
    /// `at_ms` of the restore staff were shown; `false` if there was no restore, or another
    /// one is held now (show `log_restore()` again).
    pub fn acknowledge_log_restore(&self, shown_at_ms: i64) -> Result<bool, KioskError> {
        self.with(|s| s.acknowledge_log_restore(shown_at_ms))
    }

    pub fn change_pin(&self, new_pin: String) -> Result<(), KioskError> {
        self.with(|s| s.change_pin(&new_pin))
    }

    /// The registrations this staff tablet holds, newest first.
    pub fn registrations(&self) -> Result<Vec<StaffRecordView>, KioskError> {
        self.with(|s| s.registrations())
            .map(|records| records.into_iter().map(Into::into).collect())
    }

    pub fn registration(&self, registration_id: String) -> Result<StaffRecordView, KioskError> {
        let id = parse_registration_id(&registration_id)?;
        self.with(|s| s.registration(&id)).map(Into::into)
    }

    /// Adds a note in this tablet's recruiter's name; it goes to the relay with the next sync.
    pub fn add_note(&self, registration_id: String, text: String) -> Result<(), KioskError> {
        let id = parse_registration_id(&registration_id)?;
        self.with(|s| s.add_note(&id, &text, Timestamp::now()))
    }

    /// Sets this recruiter's rating (1–5), or clears it.
    pub fn rate(&self, registration_id: String, score: Option<i64>) -> Result<(), KioskError> {
        let id = parse_registration_id(&registration_id)?;
        self.with(|s| s.rate(&id, score, Timestamp::now()))
    }

    pub fn set_status(
        &self,
        registration_id: String,
        status: RecordStatus,
    ) -> Result<(), KioskError> {
        let id = parse_registration_id(&registration_id)?;
        self.with(|s| s.set_status(&id, status.into(), Timestamp::now()))
    }

    /// Leaves staff mode: later calls answer `Closed` until the PIN is entered again.
    pub fn lock(&self) {
        if let Ok(mut session) = self.session.lock() {
            session.take();
        }
    }
}
