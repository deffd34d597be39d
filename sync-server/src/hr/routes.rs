//! The HR JSON API's route table: every `/api/v1/…` route, by concern. The relay's
//! router ([`crate::router`]) merges it with the sync routes and the console under HR's
//! body limit.

use axum::Router;

use crate::state::AppState;

/// Every route of the HR JSON API.
pub fn api() -> Router<AppState> {
    Router::new()
        .merge(crate::hr::api::routes())
        .merge(crate::hr::registrations_api::routes())
        .merge(crate::hr::record_edits::routes())
        .merge(crate::hr::quarantine_api::routes())
        .merge(crate::hr::export_api::routes())
        .merge(crate::hr::devices_api::routes())
        .merge(crate::hr::events_api::routes())
        .merge(crate::hr::access_log_api::routes())
        .merge(crate::hr::retention_api::routes())
        .merge(crate::hr::documents_api::routes())
        .merge(crate::hr::provenance_api::routes())
        .merge(crate::hr::reconciliation::routes())
        .merge(crate::hr::user_access_api::routes())
        .merge(crate::hr::visitor_requests_api::routes())
}
