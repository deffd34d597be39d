//! The relay's witness endpoints (`docs/protocol.md`, "Witnesses"): `POST
//! /v1/log/cosignature` takes a trusted witness's cosignature ([`super::intake`]), and
//! `GET /v1/log/checkpoint` serves the newest checkpoint with the cosignatures kept for it,
//! or with `?cosigned=1` the newest the configured witnesses cosigned.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};

use super::intake::{self, IntakeError};
use crate::AppError;
use crate::blocking::blocking;
use crate::state::AppState;
use crate::storage::LogTip;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/log/cosignature", post(cosignature))
}

/// An error answer in the relay's usual shape.
#[derive(Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

fn refusal(status: u16, code: &'static str, message: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(ErrorBody { code, message })).into_response()
}

async fn cosignature(State(state): State<AppState>, body: Bytes) -> Result<Response, AppError> {
    // Cheapest first: no trusted witness configured means nothing can be taken.
    if state.witness_keys.is_empty() {
        return Ok(refusal(
            403,
            "unknown_witness",
            "this relay trusts no witness".to_owned(),
        ));
    }
    let store = state.store.clone();
    let log = state.log_key.verifier();
    let witnesses = state.witness_keys.clone();
    let outcome = blocking(move || intake::accept(&body, &log, &witnesses, store.as_ref())).await?;
    match outcome {
        Ok(kept) => {
            if !kept.is_empty() {
                state.witness_keys.cosignature_arrived();
            }
            for cosignature in &kept {
                tracing::info!(size = cosignature.size, "a witness cosigned the log");
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(IntakeError::Storage(e)) => Err(AppError::Storage(e)),
        Err(error) => {
            let (status, code) = error.status_and_code();
            if let IntakeError::NotOurTree { size } = &error {
                // Our log key signed a tree the store does not hold: the store was edited
                // or the key is used elsewhere. Sizes only, no content.
                tracing::error!(
                    size,
                    "a witness sent back a checkpoint signed by this relay's log key that is not this relay's tree"
                );
            }
            Ok(refusal(status, code, error.to_string()))
        }
    }
}

/// `?cosigned=1`, or `?witness=<name>+<key ID>&size=<N>` (a witness naming itself and
/// the size of the tree it holds; `size` is optional).
#[derive(Debug, Deserialize)]
pub struct CheckpointQuery {
    cosigned: Option<u8>,
    witness: Option<String>,
    size: Option<u64>,
}

/// `GET /v1/log/checkpoint`: the newest signed checkpoint with every cosignature kept for
/// that tree; with `?cosigned=1`, the tree [`intake::newest_cosigned_tree`] chooses for the
/// configured witnesses (404 `not_cosigned` before the first); with `?witness=` naming a
/// configured witness ([`kiosk_core::protocol::witness_key_name`]), the tree
/// [`intake::tree_for_witness`] serves it so the witnesses converge on one size, never
/// smaller than `size`, the tree it says it holds (a name the relay does not know gets the
/// tip, as a witness naming none does).
pub async fn checkpoint(
    State(state): State<AppState>,
    query: Result<Query<CheckpointQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let (cosigned, witness, held) = match query {
        Ok(Query(CheckpointQuery {
            cosigned: None,
            witness: Some(witness),
            size,
        })) => (false, Some(witness), size.unwrap_or(0)),
        Ok(Query(CheckpointQuery {
            cosigned: None,
            witness: None,
            size: None,
        })) => (false, None, 0),
        Ok(Query(CheckpointQuery {
            cosigned: Some(1),
            witness: None,
            size: None,
        })) => (true, None, 0),
        _ => {
            return Err(AppError::BadLogRange(
                "cosigned takes only the value 1, and not with witness; size is a whole number, only with witness".into(),
            ));
        }
    };
    // Cheap before the store: a name no configured witness has is served as none.
    let named = witness.is_some();
    let witness = witness.and_then(|named| {
        state
            .witness_keys
            .iter()
            .find(|key| {
                named.len() <= kiosk_core::protocol::MAX_LOG_WITNESS_BYTES
                    && kiosk_core::protocol::witness_key_name(key.name(), key.key_id()) == named
            })
            .cloned()
    });
    if named && witness.is_none() && state.witness_keys.unknown_name_first_seen() {
        // Once per process: a witness misconfigured (or a stranger) would repeat it every
        // round. The name itself is caller's text and not logged.
        tracing::debug!(
            "a checkpoint fetch named a witness this relay does not have configured; served the tip (told once)"
        );
    }
    let store = state.store.clone();
    let key = state.log_key.clone();
    let witnesses = state.witness_keys.clone();
    let note = blocking(move || {
        let tip = store.log_tip()?;
        let tip = if cosigned {
            // The same choice a sync answer makes: every configured witness, the log's root.
            match witnesses.newest_cosigned_tree(store.as_ref(), tip, &witnesses)? {
                Some((size, root)) => LogTip { size, root },
                None => return Ok(None),
            }
        } else if let Some(witness) = &witness {
            witnesses.tree_for_witness(store.as_ref(), tip, witness, held)?
        } else {
            tip
        };
        intake::with_cosignatures(&key.sign(tip), tip.size, &tip.root, store.as_ref()).map(Some)
    })
    .await??;
    let Some(note) = note else {
        return Ok(refusal(
            404,
            "not_cosigned",
            "no witness has cosigned a checkpoint of this log yet".to_owned(),
        ));
    };
    let mut response = note.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests;
