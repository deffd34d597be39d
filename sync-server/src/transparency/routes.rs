//! The log's public reads: the current signed checkpoint, and consistency and inclusion
//! proofs, for tablets and witnesses (`docs/protocol.md`, "Transparency log"). Answers are
//! `text/plain`: the checkpoint as its signed note, a proof as one standard-base64 hash per
//! line (as C2SP tlog-witness writes proofs). Sizes and indexes are checked against the
//! committed log (one small read) before any proof is computed, and a proof needs at most
//! O(log² n) subtree reads.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, http::HeaderValue};
use base64ct::{Base64, Encoding};
use serde::Deserialize;

use super::source::StoreSubtrees;
use crate::AppError;
use crate::blocking::blocking;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/log/checkpoint", get(checkpoint))
        .route("/v1/log/consistency", get(consistency))
        .route("/v1/log/inclusion", get(inclusion))
}

fn text(body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // The log grows: a cached checkpoint would hide that.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn proof_lines(proof: &[[u8; 32]]) -> String {
    proof
        .iter()
        .map(|hash| format!("{}\n", Base64::encode_string(hash)))
        .collect()
}

/// With the witnesses' cosignatures kept for the tree, and `?cosigned=1`
/// ([`crate::witness::routes::checkpoint`]).
async fn checkpoint(
    state: State<AppState>,
    query: Result<
        Query<crate::witness::routes::CheckpointQuery>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Result<Response, AppError> {
    crate::witness::routes::checkpoint(state, query).await
}

/// `?from=N&to=M`.
#[derive(Debug, Deserialize)]
struct ConsistencyQuery {
    from: u64,
    to: u64,
}

async fn consistency(
    State(state): State<AppState>,
    query: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(ConsistencyQuery { from, to }) = query.map_err(|_| {
        AppError::BadLogRange("from and to must be tree sizes (whole numbers)".into())
    })?;
    if from == 0 || from > to {
        return Err(AppError::BadLogRange(format!(
            "a consistency proof needs 1 ≤ from ≤ to; got from={from}, to={to}"
        )));
    }
    let store = state.store.clone();
    let proof = blocking(move || {
        let size = store.log_tip()?.size;
        if to > size {
            return Ok(Err(AppError::BadLogRange(format!(
                "to={to} is beyond the log's size {size}"
            ))));
        }
        Ok(
            kiosk_core::tlog::tree::consistency_proof(&StoreSubtrees(&*store), from, to)
                .map_err(|e| proof_failed(&e)),
        )
    })
    .await?
    .map_err(AppError::Storage)??;
    Ok(text(proof_lines(&proof)))
}

/// `?index=I&size=N`.
#[derive(Debug, Deserialize)]
struct InclusionQuery {
    index: u64,
    size: u64,
}

async fn inclusion(
    State(state): State<AppState>,
    query: Result<Query<InclusionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(InclusionQuery { index, size }) =
        query.map_err(|_| AppError::BadLogRange("index and size must be whole numbers".into()))?;
    if index >= size {
        return Err(AppError::BadLogRange(format!(
            "an inclusion proof needs index < size; got index={index}, size={size}"
        )));
    }
    let store = state.store.clone();
    let proof = blocking(move || {
        let logged = store.log_tip()?.size;
        if size > logged {
            return Ok(Err(AppError::BadLogRange(format!(
                "size={size} is beyond the log's size {logged}"
            ))));
        }
        Ok(
            kiosk_core::tlog::tree::inclusion_proof(&StoreSubtrees(&*store), index, size)
                .map_err(|e| proof_failed(&e)),
        )
    })
    .await?
    .map_err(AppError::Storage)??;
    Ok(text(proof_lines(&proof)))
}

/// A proof within the log's size that could not be computed: a store failure or a damaged
/// log, logged here and answered as internal.
fn proof_failed<E: std::fmt::Debug>(error: &E) -> AppError {
    tracing::error!(error = ?error, "a transparency-log proof could not be computed");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use kiosk_core::tlog::hash::{Hash, leaf_hash};
    use kiosk_core::tlog::tree::{verify_consistency, verify_inclusion};
    use tower::ServiceExt;

    use super::*;
    use crate::transparency::checkpoint::open_checkpoint;

    async fn get(state: &AppState, uri: &str) -> (StatusCode, String, Option<String>) {
        let response = crate::router(state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let kind = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            String::from_utf8(bytes.to_vec()).expect("text"),
            kind,
        )
    }

    fn hashes(lines: &str) -> Vec<Hash> {
        lines
            .lines()
            .map(|line| {
                Base64::decode_vec(line)
                    .expect("base64")
                    .try_into()
                    .expect("32 bytes")
            })
            .collect()
    }

    #[tokio::test]
    async fn the_checkpoint_and_proofs_answer_and_verify() {
        let state = AppState::demo_in_memory().expect("state");
        let store = state.store.clone();
        crate::storage::ingest_generated_for_tests(store.as_ref(), 6);
        let (status, signed, kind) = get(&state, "/v1/log/checkpoint").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kind.as_deref(), Some("text/plain; charset=utf-8"));
        let saved = open_checkpoint(&signed, &state.log_key.verifier()).expect("signed");
        let tip = store.log_tip().expect("reads");
        assert_eq!((saved.size, saved.root), (tip.size, tip.root));
        assert!(tip.size >= 6);

        let (status, proof, _) = get(
            &state,
            &format!("/v1/log/consistency?from=3&to={}", tip.size),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{proof}");
        let old_root =
            kiosk_core::tlog::tree::root(&StoreSubtrees(store.as_ref()), 3).expect("root");
        verify_consistency(3, tip.size, &old_root, &tip.root, &hashes(&proof)).expect("consistent");

        let leaf = store.log_leaves(4, 1).expect("reads").remove(0);
        let (status, proof, _) = get(
            &state,
            &format!("/v1/log/inclusion?index=4&size={}", tip.size),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{proof}");
        verify_inclusion(&leaf_hash(&leaf), 4, tip.size, &hashes(&proof), &tip.root)
            .expect("included");
    }

    #[tokio::test]
    async fn sizes_and_indexes_the_log_cannot_answer_are_refused_by_name() {
        let state = AppState::demo_in_memory().expect("state");
        crate::storage::ingest_generated_for_tests(state.store.as_ref(), 2);
        let size = state.store.log_tip().expect("reads").size;
        for uri in [
            format!("/v1/log/consistency?from=1&to={}", size + 1),
            "/v1/log/consistency?from=0&to=1".to_owned(),
            "/v1/log/consistency?from=2&to=1".to_owned(),
            "/v1/log/consistency?from=-1&to=1".to_owned(),
            "/v1/log/consistency?from=1".to_owned(),
            "/v1/log/consistency?from=1&to=99999999999999999999999".to_owned(),
            format!("/v1/log/inclusion?index=0&size={}", size + 1),
            format!("/v1/log/inclusion?index={size}&size={size}"),
            "/v1/log/inclusion?index=x&size=1".to_owned(),
        ] {
            let (status, body, _) = get(&state, &uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            let body: serde_json::Value = serde_json::from_str(&body).expect("json");
            assert_eq!(body["code"], "invalid_log_range", "{uri}");
        }
        // An empty log has a checkpoint of size 0 and no proofs.
        let empty = AppState::demo_in_memory().expect("state");
        let (status, signed, _) = get(&empty, "/v1/log/checkpoint").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            open_checkpoint(&signed, &empty.log_key.verifier())
                .expect("signed")
                .size,
            0
        );
        let (status, _, _) = get(&empty, "/v1/log/inclusion?index=0&size=1").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
