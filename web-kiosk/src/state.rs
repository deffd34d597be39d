//! What the shell holds in memory: the open device, the one screen a kiosk shows (welcome, a
//! visitor's form, or a thank-you), staff mode, and the relay's address. A kiosk serves one
//! visitor at a time, so there is one screen; a visitor's draft exists only here and in the
//! core's session, and is dropped (and its text overwritten) when the screen moves on.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use kiosk_ffi::KioskDevice;
use kiosk_ffi::staff::StaffMode;
use kiosk_ffi::types::{FieldProblem, FormView, Language, Receipt, RegistrationDraft};
use kiosk_ffi::visitor::VisitorSession;
use tokio::sync::Notify;
use zeroize::Zeroize;

use crate::config::Config;
use crate::sync_status::SyncStatus;

/// The shell: shared by every request handler.
#[derive(Debug)]
pub struct Shell {
    pub device: Arc<KioskDevice>,
    pub config: Config,
    /// The relay's address, once known (flag, enrollment QR text, or the saved one).
    pub relay_url: Mutex<Option<String>>,
    pub screen: tokio::sync::Mutex<Screen>,
    pub staff: tokio::sync::Mutex<Option<StaffState>>,
    /// What staff screens remember between requests: the language, the last outcome to
    /// show once, what a wipe waits for. Never a PIN or personal data.
    pub staff_memo: Mutex<StaffMemo>,
    pub sync: SyncStatus,
    /// Wakes background sync early: after a visitor submitted, or staff asked.
    pub sync_nudge: Notify,
}

impl Shell {
    pub fn new(device: Arc<KioskDevice>, config: Config) -> Shell {
        let relay_url = config.relay_url.clone();
        // The receipt page's address is made from the relay the kiosk syncs with; a kiosk
        // enrolled before the core kept it learns it here.
        if let Some(url) = &relay_url
            && let Err(error) = device.set_relay_address(url.clone())
        {
            tracing::warn!(%error, "the relay's address could not be kept for receipts");
        }
        Shell {
            device,
            config,
            relay_url: Mutex::new(relay_url),
            screen: tokio::sync::Mutex::new(Screen::Welcome { notice: None }),
            staff: tokio::sync::Mutex::new(None),
            staff_memo: Mutex::new(StaffMemo::default()),
            sync: SyncStatus::default(),
            sync_nudge: Notify::new(),
        }
    }

    /// The relay's address, if known.
    pub fn relay_url(&self) -> Option<String> {
        self.relay_url.lock().ok().and_then(|url| url.clone())
    }

    /// Ends staff mode: a visitor's screen is about to be shown.
    pub async fn lock_staff(&self) {
        if let Some(staff) = self.staff.lock().await.take() {
            staff.mode.lock();
        }
    }
}

/// What the visitor's screen shows.
#[derive(Debug)]
pub enum Screen {
    Welcome { notice: Option<Notice> },
    Visit(Box<Visit>),
    Thanks(Thanks),
}

/// Something the next screen tells the visitor about what just happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The form changed under the visitor; their answers are kept, to check and send again.
    FormUpdated,
    /// Nobody touched the form for the idle limit; it was wiped.
    ClearedAfterIdle,
    /// The capture failed (the store); the answers are kept, nothing was saved.
    CaptureFailed,
}

/// One visitor's pass through the form.
#[derive(Debug)]
pub struct Visit {
    /// Names this visit in every post, so a page of an earlier visit (Back, a restored tab,
    /// a resent post after a restart) cannot act on this one.
    pub token: String,
    pub session: Arc<VisitorSession>,
    pub language: Language,
    /// On the protected-personal-data path.
    pub protected: bool,
    /// The form this visit shows (its version is what a submit answers).
    pub form: FormView,
    /// What the visitor last sent, shown again with the field errors. Only ever in memory.
    pub draft: Option<RegistrationDraft>,
    pub problems: Vec<FieldProblem>,
    pub notice: Option<Notice>,
}

impl Drop for Visit {
    fn drop(&mut self) {
        if let Some(draft) = self.draft.as_mut() {
            wipe(draft);
        }
    }
}

/// Overwrites a draft's text before it is freed.
pub fn wipe(draft: &mut RegistrationDraft) {
    for text in [
        &mut draft.given_name,
        &mut draft.family_name,
        &mut draft.email,
        &mut draft.phone,
        &mut draft.education_level,
        &mut draft.free_text,
    ] {
        text.zeroize();
    }
    draft.interests.zeroize();
    draft.locations.zeroize();
}

/// The thank-you screen after a submit. The visitor's receipt exists only here, in memory,
/// while the screen is shown (a reload must show it again); it is overwritten when the
/// screen ends, and never written to disk, a cookie or a log.
#[derive(Debug)]
pub struct Thanks {
    /// The visit's token: a second post of the same form (a double tap) lands here again
    /// instead of capturing twice. It never ends this screen: a page of the visit still
    /// open (its idle script, a late post) must not take the receipt away unseen.
    pub visit_token: String,
    /// This screen's own token, for "Done" and its idle return.
    pub token: String,
    pub receipt: Receipt,
    pub language: Language,
    pub talent_pool: bool,
    pub since: Instant,
}

impl Drop for Thanks {
    fn drop(&mut self) {
        self.receipt.receipt_code.zeroize();
        if let Some(address) = self.receipt.receipt_page_address.as_mut() {
            address.zeroize();
        }
    }
}

/// A fresh random token (128 bits, hex).
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Staff mode while it is open.
#[derive(Debug)]
pub struct StaffState {
    pub mode: Arc<StaffMode>,
    /// Names this staff session in every post.
    pub token: String,
    pub last_activity: Instant,
}

/// What staff screens keep between requests. Holds no PIN, no code and no personal data.
#[derive(Debug, Default)]
pub struct StaffMemo {
    /// The language staff chose last (Swedish until they choose).
    pub language: Option<Language>,
    /// The outcome of the last post, shown once by the next page.
    pub flash: Option<Flash>,
    /// What the last wipe attempt waited for: (without a receipt, not yet backed up).
    pub wipe_waiting: Option<(u64, u64)>,
}

/// An outcome to show once, in both languages, and the form field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub is_error: bool,
    /// The control the message belongs to (`pin`, `code`, `note`, …), if any.
    pub field: Option<&'static str>,
    pub sv: String,
    pub en: String,
    /// For a refused PIN: attempts left and seconds to wait, as the core reported them.
    pub attempts_left: Option<u32>,
    pub retry_after_secs: Option<u64>,
}

impl Flash {
    pub fn error(
        field: Option<&'static str>,
        sv: impl Into<String>,
        en: impl Into<String>,
    ) -> Flash {
        Flash {
            is_error: true,
            field,
            sv: sv.into(),
            en: en.into(),
            attempts_left: None,
            retry_after_secs: None,
        }
    }

    pub fn done(sv: impl Into<String>, en: impl Into<String>) -> Flash {
        Flash {
            is_error: false,
            ..Flash::error(None, sv, en)
        }
    }

    pub fn text(&self, language: Language) -> &str {
        crate::texts::pick_pair(&self.sv, &self.en, language)
    }
}
