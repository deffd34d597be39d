//! The store's model: every type the store traits ([`super::traits`]) speak in, one file per
//! concern, with no SQL in it. A backend maps these to and from its own rows; the rules that
//! decide (hash chain, retention dates, quarantine) are [`crate::rules`]'s.

mod access_log;
mod accounts;
mod backup;
mod blind_index;
mod cosignatures;
mod daily_jobs;
mod devices;
mod events;
mod failure_counts;
mod ingest;
mod lifecycle;
mod lifecycle_journal;
mod monitoring;
mod quarantine;
mod reconciliation;
mod registrations;
mod relay_keys;
mod subject_access;
mod transparency;
mod visitor_receipt;

pub use access_log::*;
pub use accounts::*;
pub use backup::*;
pub use blind_index::*;
pub use cosignatures::*;
pub use daily_jobs::*;
pub use devices::*;
pub use events::*;
pub use failure_counts::*;
pub use ingest::*;
pub use lifecycle::*;
pub use lifecycle_journal::*;
pub use monitoring::*;
pub use quarantine::*;
pub use reconciliation::*;
pub use registrations::*;
pub use relay_keys::*;
pub use subject_access::*;
pub use transparency::*;
pub use visitor_receipt::*;
