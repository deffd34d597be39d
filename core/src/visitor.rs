//! The visitor-facing session: the only way a visitor touches the core. It shows the form,
//! takes what the visitor entered, submits, and resets. It cannot list, read back or search
//! anything: once submitted, a registration is sealed to the relay.
//!
//! The session resets itself after a submit, and the shell resets it after idle time: after
//! [`ASK_STILL_THERE_AFTER_MS`] without activity it asks "still there?", and after
//! [`RESET_AFTER_MS`] the draft is wiped so the next visitor never sees it.

use std::sync::Arc;

use crate::device::{Device, Receipt};
use crate::error::{Error, Result};
use crate::event::PublishedForm;
use crate::ids::Timestamp;
use crate::language::Localized;
use crate::validation::RegistrationInput;

/// Idle time after which the shell asks "still there?" (*Är du kvar?*).
pub const ASK_STILL_THERE_AFTER_MS: i64 = 60_000;
/// Idle time after which the draft is wiped and the form starts over.
pub const RESET_AFTER_MS: i64 = 90_000;

/// The "still there?" prompt and its button, in Swedish and English.
pub fn still_there_texts() -> (Localized, Localized) {
    (
        Localized::new(
            "Är du kvar? Formuläret töms snart så att nästa besökare inte ser dina uppgifter.",
            "Still there? The form will be cleared soon so the next visitor cannot see your details.",
        ),
        Localized::new("Jag är kvar", "I'm still here"),
    )
}

/// The label of the "protected personal data" box.
pub fn protected_data_label() -> Localized {
    Localized::new(
        "Jag har skyddade personuppgifter",
        "I have protected personal data",
    )
}

/// What the shell should show, given the time since the visitor last did anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleState {
    Active,
    /// Ask whether the visitor is still there; any activity continues the session.
    AskStillThere,
    /// Reset now: the draft belongs to someone who left.
    Expired,
}

/// One visitor's pass through the form.
#[derive(Debug)]
pub struct VisitorSession {
    device: Arc<Device>,
    event_name: Localized,
    form: PublishedForm,
    draft: RegistrationInput,
    last_activity: Timestamp,
}

impl VisitorSession {
    /// A session showing the device's current form. Refuses to start if the tablet could not
    /// accept a submission (no event, or no pinned relay key).
    pub fn start(device: Arc<Device>, now: Timestamp) -> Result<VisitorSession> {
        if device.relay_key()?.is_none() {
            return Err(Error::NoRelayKey);
        }
        let event = device.event()?.ok_or(Error::NoEvent)?;
        let form = event.current_form()?.clone();
        Ok(VisitorSession {
            device,
            event_name: event.name,
            form,
            draft: RegistrationInput::default(),
            last_activity: now,
        })
    }

    /// The form and notices this visitor is shown, with its version.
    pub fn form(&self) -> &PublishedForm {
        &self.form
    }

    pub fn event_name(&self) -> &Localized {
        &self.event_name
    }

    /// Replaces the draft with what the form shows now.
    pub fn update(&mut self, input: RegistrationInput, now: Timestamp) -> Result<()> {
        self.ensure_alive(now)?;
        self.draft.wipe();
        self.draft = input;
        self.last_activity = now;
        Ok(())
    }

    /// The visitor answered "still there?".
    pub fn still_here(&mut self, now: Timestamp) -> Result<()> {
        self.ensure_alive(now)?;
        self.last_activity = now;
        Ok(())
    }

    /// How long until the draft is wiped, so the shell's "still there?" countdown matches.
    pub fn millis_until_reset(&self, now: Timestamp) -> i64 {
        (RESET_AFTER_MS - (now.millis() - self.last_activity.millis())).max(0)
    }

    pub fn idle_state(&self, now: Timestamp) -> IdleState {
        let idle = now.millis() - self.last_activity.millis();
        if idle >= RESET_AFTER_MS {
            IdleState::Expired
        } else if idle >= ASK_STILL_THERE_AFTER_MS {
            IdleState::AskStillThere
        } else {
            IdleState::Active
        }
    }

    /// Submits the draft against the form version this visitor was shown. On success the
    /// session resets for the next visitor; on a validation error the draft stays for the
    /// visitor to correct.
    pub fn submit(&mut self, now: Timestamp) -> Result<Receipt> {
        self.ensure_alive(now)?;
        self.last_activity = now;
        let receipt = self.device.capture(&self.draft, &self.form.version, now)?;
        // The capture is committed: whatever happens next, the visitor gets the receipt.
        self.reset(now);
        Ok(receipt)
    }

    /// Wipes the draft and starts over with the device's current form (or, if the event
    /// cannot be read just now, the form already shown).
    pub fn reset(&mut self, now: Timestamp) {
        self.draft.wipe();
        self.last_activity = now;
        if let Ok(Some(event)) = self.device.event()
            && let Ok(form) = event.current_form()
        {
            self.form = form.clone();
            self.event_name = event.name;
        }
    }

    fn ensure_alive(&mut self, now: Timestamp) -> Result<()> {
        if self.idle_state(now) == IdleState::Expired {
            self.reset(now);
            return Err(Error::SessionExpired);
        }
        Ok(())
    }
}

impl Drop for VisitorSession {
    fn drop(&mut self) {
        self.draft.wipe();
    }
}
