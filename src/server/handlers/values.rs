//! The two endpoints that return values: reveal and env. Both are audited before answering.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};

use crate::api::{EnvRequest, EnvResponse, ErrorBody, RevealQuery, Revealed};
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::extract::{ApiQuery, Authed, redact_quoted};

/// Reveal a value. Recorded in the audit log before the value is sent.
#[utoipa::path(post, path = "/v1/secrets/{name}/reveal", params(("name" = String, Path), RevealQuery), tag = "values",
    responses((status = 200, body = Revealed), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "rate limited; see Retry-After")),
    security(("bearer" = [])))]
pub async fn reveal(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<RevealQuery>,
) -> Result<Json<Revealed>, ApiError> {
    s.reveal_limiter
        .check(&caller.token_id, Instant::now())
        .map_err(ApiError::rate_limited)?;
    Ok(Json(
        s.vault
            .reveal(&caller, &name, q.org_wide.unwrap_or(false), q.version)
            .await?,
    ))
}

/// Every value the caller may use whose scope is `all` or the one asked.
#[utoipa::path(post, path = "/v1/env", request_body = EnvRequest, tag = "values",
    responses((status = 200, body = EnvResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn env(
    State(s): State<AppState>,
    Authed(caller): Authed,
    body: Bytes,
) -> Result<Json<EnvResponse>, ApiError> {
    // The body is optional (`vaultty run` without --scope sends none), so parse it by hand.
    let scope = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<EnvRequest>(&body)
            .map_err(|e| ApiError::invalid(format!("invalid body: {}", redact_quoted(&e.to_string()))))?
            .scope
    };
    Ok(Json(EnvResponse {
        env: s.vault.env(&caller, scope).await?,
    }))
}
