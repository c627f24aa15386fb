//! The two endpoints that return values: reveal and env. Both are audited before answering.

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};

use crate::api::{EnvRequest, EnvResponse, RevealQuery, Revealed};
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::extract::{ApiQuery, Authed, OptionalJson};
use crate::server::openapi::{AuthedErrors, BadRequest, Forbidden, NotFound, PayloadTooLarge, RateLimited};

/// Reveal a value. Recorded in the audit log before the value is sent. Takes no body.
#[utoipa::path(post, path = "/v1/secrets/{name}/reveal",
    params(("name" = String, Path, pattern = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", description = "The secret's name"), RevealQuery),
    tag = "values",
    responses((status = 200, body = Revealed), (status = 400, response = BadRequest),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 429, response = RateLimited), AuthedErrors),
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

/// Every value the caller may use whose scope is `all` or the one asked. The body is optional:
/// without one (or with no `scope`), every scope is delivered. The answer names the write-only
/// secrets (`writeOnly`) and the ones left out because their stored value does not open
/// (`skipped`, each recorded as a denied `env` event).
#[utoipa::path(post, path = "/v1/env",
    request_body(content = EnvRequest, description = "Optional: without a body, every scope"),
    tag = "values",
    responses((status = 200, body = EnvResponse), (status = 400, response = BadRequest),
        (status = 413, response = PayloadTooLarge), AuthedErrors),
    security(("bearer" = [])))]
pub async fn env(
    State(s): State<AppState>,
    Authed(caller): Authed,
    // Optional because `vaultty run` without --scope sends no body.
    OptionalJson(body): OptionalJson<EnvRequest>,
) -> Result<Json<EnvResponse>, ApiError> {
    Ok(Json(s.vault.env(&caller, body.and_then(|b| b.scope)).await?))
}
