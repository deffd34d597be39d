//! `VisitorSession`: the only thing a visitor's screen touches. It shows the form, takes the
//! draft, submits and resets; it cannot list, read back or search anything.

use std::sync::{Arc, Mutex, MutexGuard};

use kiosk_core::ids::Timestamp;

use crate::device::KioskDevice;
use crate::error::KioskError;
use crate::types::{FormView, IdleState, Receipt, RegistrationDraft};

/// One visitor's pass through the form.
#[derive(Debug, uniffi::Object)]
pub struct VisitorSession {
    device: Arc<KioskDevice>,
    session: Mutex<kiosk_core::visitor::VisitorSession>,
}

impl VisitorSession {
    pub(crate) fn new(
        device: Arc<KioskDevice>,
        session: kiosk_core::visitor::VisitorSession,
    ) -> VisitorSession {
        VisitorSession {
            device,
            session: Mutex::new(session),
        }
    }

    /// The session, if its device is still open.
    fn session(&self) -> Result<MutexGuard<'_, kiosk_core::visitor::VisitorSession>, KioskError> {
        self.device.core()?;
        self.session
            .lock()
            .map_err(|_| KioskError::from(kiosk_core::Error::Poisoned))
    }
}

#[uniffi::export]
impl VisitorSession {
    /// The form this visitor is shown, with its version and notices.
    pub fn form(&self) -> Result<FormView, KioskError> {
        let session = self.session()?;
        let event = self.device.core()?.event()?;
        Ok(FormView::new(
            session.event_name().clone(),
            event.as_ref(),
            session.form().clone(),
        ))
    }

    /// Keeps what the form shows now (call as the visitor types): it counts as activity.
    pub fn update(&self, draft: RegistrationDraft) -> Result<(), KioskError> {
        Ok(self.session()?.update(draft.into(), Timestamp::now())?)
    }

    /// The visitor answered "still there?", or touched the screen without changing the draft.
    pub fn still_here(&self) -> Result<(), KioskError> {
        Ok(self.session()?.still_here(Timestamp::now())?)
    }

    /// Whether to ask "still there?" or reset, from the time since the last activity. Poll
    /// it every few seconds while the form is shown.
    pub fn idle_state(&self) -> Result<IdleState, KioskError> {
        Ok(self.session()?.idle_state(Timestamp::now()).into())
    }

    /// Milliseconds until the draft is wiped, for the "still there?" countdown.
    pub fn time_until_reset_ms(&self) -> Result<i64, KioskError> {
        Ok(self.session()?.millis_until_reset(Timestamp::now()))
    }

    /// Submits `draft` against the form version this visitor was shown. On success the
    /// session resets for the next visitor; on `InvalidRegistration` the draft stays.
    pub fn submit(&self, draft: RegistrationDraft) -> Result<Receipt, KioskError> {
        let now = Timestamp::now();
        let mut session = self.session()?;
        session.update(draft.into(), now)?;
        Ok(session.submit(now)?.into())
    }

    /// Wipes the draft and starts over with the device's current form.
    pub fn reset(&self) -> Result<(), KioskError> {
        self.session()?.reset(Timestamp::now());
        Ok(())
    }
}
