//! The store's traits, one per concern; [`RelayStore`] is all of them together, the handle
//! the relay holds (`Arc<dyn RelayStore>`). A backend implements each trait; every type they
//! speak in is [`super::model`]'s.
//!
//! Every method is blocking; async handlers call it on the blocking pool.

mod access_log;
mod accounts;
mod blind_index;
mod cosignatures;
mod daily_jobs;
mod devices;
mod events;
mod failure_counts;
mod lifecycle;
mod quarantine;
mod registrations;
mod sync;
mod transparency;
mod visitor_receipt;

pub use access_log::AccessLogStore;
pub use accounts::HrAccountStore;
pub use blind_index::BlindIndexStore;
pub use cosignatures::CosignatureStore;
pub use daily_jobs::DailyJobStore;
pub use devices::DeviceStore;
pub use events::EventStore;
pub use failure_counts::FailureCountStore;
pub use lifecycle::LifecycleStore;
pub use quarantine::QuarantineStore;
pub use registrations::RegistrationStore;
pub use sync::SyncStore;
pub use transparency::TransparencyLogStore;
pub use visitor_receipt::VisitorReceiptStore;

/// The whole store: every concern's trait. Implemented for every type that implements them
/// all, so a backend implements only the small traits.
pub trait RelayStore:
    EventStore
    + DeviceStore
    + SyncStore
    + HrAccountStore
    + RegistrationStore
    + QuarantineStore
    + LifecycleStore
    + AccessLogStore
    + FailureCountStore
    + DailyJobStore
    + BlindIndexStore
    + TransparencyLogStore
    + CosignatureStore
    + VisitorReceiptStore
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
}

impl<T> RelayStore for T where
    T: EventStore
        + DeviceStore
        + SyncStore
        + HrAccountStore
        + RegistrationStore
        + QuarantineStore
        + LifecycleStore
        + AccessLogStore
        + FailureCountStore
        + DailyJobStore
        + BlindIndexStore
        + TransparencyLogStore
        + CosignatureStore
        + VisitorReceiptStore
        + Send
        + Sync
        + std::fmt::Debug
        + 'static
{
}
