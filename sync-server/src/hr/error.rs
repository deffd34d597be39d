//! HR's own errors: what went wrong in the policy or a service, said in HR's terms. They
//! know nothing of HTTP; [`crate::hr::answer`] turns them into the relay's public error at
//! the handler edge (one match deciding what is sent and what is logged), and the command
//! line prints them in plain words. Their texts name rules, never a value, so none carries
//! personal data.

use crate::hr::accounts::AccountError;
use crate::storage::StorageError;

/// Why the policy ([`crate::hr::policy`]) refuses a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// Still on a one-time password: nothing but a password change is open.
    #[error("choose your own password before anything else")]
    PasswordChangeRequired,
    /// Lacks the role named (or one of the roles named, "admin or archivist").
    #[error("this needs the {0} role")]
    MissingRole(&'static str),
    /// A recruiter reaching a record of an event not assigned to them.
    #[error("this registration belongs to an event you are not assigned to")]
    NotAssigned,
    /// A record of a visitor with protected personal data, without the clearance.
    #[error("this registration is restricted (protected personal data) and needs the clearance")]
    Restricted,
    /// No live session or token (or it ended part-way through a long answer).
    #[error("log in first (the session may have expired)")]
    NotLoggedIn,
    /// An admin taking access away from themselves.
    #[error("an administrator cannot take away their own access")]
    SelfChange,
}

/// Why a quarantined capture cannot be accepted ([`crate::hr::quarantine`]). Names the
/// rule, never the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AcceptRefusal {
    #[error("the kept bytes are not a sealed capture this relay can open")]
    NotASealedCapture,
    #[error("the capture signature does not verify")]
    BadSignature,
    #[error("the capture was made by another device than the tablet that sent it")]
    OtherDevice,
    #[error("the tablet that sent it is not a kiosk; only kiosks capture registrations")]
    NotAKiosk,
    #[error("the document is not a single change by its tablet that opens a registration")]
    NotACapture,
    #[error("the registration is for another event than its tablet was enrolled for")]
    OtherEvent,
    #[error("the registration's event is not one this relay holds")]
    UnknownEvent,
    #[error("the document is not a valid registration of its event's form")]
    InvalidRegistration,
    #[error("a registration with this id is stored already")]
    AlreadyStored,
    #[error("the registration was removed, and stays removed")]
    Removed,
}

/// What a service looked for and the relay does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    #[error("no such user")]
    User,
    #[error("no such event")]
    Event,
    #[error("no such registration")]
    Registration,
    /// Removed: its removal record remains.
    #[error("this registration was removed; its removal record remains")]
    RemovedRegistration,
    #[error("no such API token of this user")]
    Token,
    #[error("no such retention run")]
    RetentionRun,
    #[error("no such quarantined capture")]
    Quarantine,
    #[error("no such device")]
    Device,
}

/// Why a login is refused. Told only as this: an unknown username is a wrong password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginRefusal {
    #[error("wrong username or password")]
    WrongCredentials,
    /// Told only to whoever knows the password.
    #[error("this account is disabled; an administrator can enable it again")]
    Disabled,
    /// Too many failures from this client or for this username; seconds to wait.
    #[error("too many failed logins; try again in {0} s")]
    RateLimited(u64),
}

/// A change the relay's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("that username is taken")]
    UsernameTaken,
    #[error("this would leave no enabled administrator")]
    LastAdmin,
    #[error("nothing to change: the user already is as asked")]
    Unchanged,
    #[error("events are assigned to recruiters only; this user lacks the recruiter role")]
    NotARecruiter,
    #[error("this registration is on legal hold already")]
    AlreadyOnHold,
    #[error("this registration is not on legal hold")]
    NotOnHold,
    #[error("the visitor never joined the talent pool: there is no consent to withdraw")]
    NoTalentPoolConsent,
    /// Run number `0` is unfinished: it is carried on, and no second run starts.
    #[error("retention run {0} is still going; it is carried on, and no second run starts")]
    RetentionRunning(i64),
    #[error("this quarantined capture was reviewed already; a decision is final")]
    AlreadyReviewed,
    #[error("only an enrolled, unrevoked staff tablet has a PIN to unlock")]
    NotAStaffTablet,
    #[error("an event with this id exists already")]
    EventExists,
    /// An edit based on heads the event does not hold.
    #[error("the event holds no change named by these heads; reload the event and edit again")]
    UnknownHeads,
    /// The same admin changed the event since the heads they edit from.
    #[error(
        "you changed this event after loading it (in another window?); reload the event and edit \
         again"
    )]
    StaleHeads,
    /// A publish whose draft changed since it was read.
    #[error(
        "the draft changed since it was read; reload the event, check the draft and publish again"
    )]
    DraftChangedSince,
}

/// Why a staff tablet's recruiter may not act for it: the code naming them is refused, and
/// a tablet already enrolled for them pulls nothing and has its edits refused
/// ([`crate::enrollment::recruiter_standing`] decides it). Here with HR's errors, which
/// carry it, so HR need not import the enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecruiterRefusal {
    #[error("recruiter: no HR user has this username")]
    UnknownUser,
    #[error("recruiter: this HR user is disabled")]
    Disabled,
    #[error("recruiter: this HR user does not have the recruiter role")]
    NotARecruiter,
    #[error("recruiter: this recruiter is not assigned to the event; assign the event first")]
    NotAssigned,
}

/// An HR service's or the policy's error.
#[derive(Debug, thiserror::Error)]
pub enum HrError {
    #[error(transparent)]
    Denied(#[from] Denial),
    #[error(transparent)]
    NotFound(#[from] Missing),
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error(transparent)]
    Login(#[from] LoginRefusal),
    /// A quarantined capture that cannot be accepted.
    #[error("the capture cannot be accepted: {0}")]
    CannotAccept(#[from] AcceptRefusal),
    /// A role name that is none of the roles (names the rule's input, a role name, which
    /// is no personal data).
    #[error("roles: unknown role {0:?}")]
    UnknownRole(String),
    /// An account rule (username, display name, password, roles, clearance grants).
    #[error(transparent)]
    Account(#[from] AccountError),
    /// A request part this route does not take, named by its field first (`uses: 1–500`)
    /// so a form can put the error by the field; names the rule, never the value.
    #[error("the request body is not what this route takes: {0}")]
    BadBody(String),
    /// A staff code's recruiter who may not have a tablet act for them.
    #[error(transparent)]
    Recruiter(#[from] RecruiterRefusal),
    /// A well-formed request with a value its field does not take.
    #[error("{field}: {rule}")]
    InvalidField {
        field: &'static str,
        rule: &'static str,
    },
    /// Blocking work that panicked or was cancelled (logged where it failed).
    #[error(transparent)]
    Task(#[from] crate::blocking::TaskFailed),
    /// A stored document could not be read while doing `context` (its cause names a
    /// shape, never a value).
    #[error("a stored document could not be read while {context}: {source}")]
    Document {
        context: &'static str,
        #[source]
        source: kiosk_core::Error,
    },
    /// The access log could not be checked against its checkpoint files (its cause names
    /// files and entry numbers, never a person).
    #[error("access-log checkpoints not checked: {0}")]
    Checkpoints(crate::access_checkpoint::CheckpointError),
    /// A retention run could not start.
    #[error("a retention run could not start: {0}")]
    RetentionJob(#[from] crate::retention::RetentionJobError),
    /// Something that cannot fail in practice failed while doing `context` (serialising a
    /// report, say); its cause names shapes, never values.
    #[error("{context} failed: {source}")]
    Unexpected {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store failed while doing `context`.
    #[error("the relay's store failed while {context}: {source}")]
    Storage {
        context: &'static str,
        #[source]
        source: StorageError,
    },
}

/// Names what a store call was doing when it failed, for the log.
pub trait StorageContext<T> {
    fn context(self, context: &'static str) -> Result<T, HrError>;
}

impl<T> StorageContext<T> for Result<T, StorageError> {
    fn context(self, context: &'static str) -> Result<T, HrError> {
        self.map_err(|source| HrError::Storage { context, source })
    }
}

/// `Result` with [`HrError`].
pub type HrResult<T> = Result<T, HrError>;
