//! The two endpoints that return values: reveal and env. Both are audited before answering.

use axum::Json;
use axum::extract::State;

use crate::api::{EnvRequest, EnvResponse, RevealQuery, Revealed};
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::extract::{ApiQuery, Authed, OptionalJson, PathParam};
use crate::server::openapi::{AuthedErrors, BadRequest, Forbidden, NotFound, PayloadTooLarge};
use crate::vault::Caller;

/// Reveal a value. Recorded in the audit log before the value is sent. Takes no body.
#[utoipa::path(post, path = "/v1/secrets/{name}/reveal",
    params(("name" = String, Path, pattern = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", description = "The secret's name"), RevealQuery),
    tag = "values",
    responses((status = 200, body = Revealed), (status = 400, response = BadRequest),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        AuthedErrors),
    security(("bearer" = [])))]
pub async fn reveal(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(name): PathParam,
    ApiQuery(q): ApiQuery<RevealQuery>,
) -> Result<Json<Revealed>, ApiError> {
    take_one(&s, &caller)?;
    Ok(Json(
        s.vault
            .reveal(&caller, &name, q.org_wide.unwrap_or(false), q.version)
            .await?,
    ))
}

/// Every value the caller may use whose scope is `all` or the one asked. The body is optional:
/// without one (or with no `scope`), every scope is delivered.
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
    // One unit per call, whatever the number of values: a runner fetching its 40 secrets once a
    // minute spends 1 a minute, and a call cannot deliver more than each value once, so calling
    // env in a loop spends the same budget as revealing in a loop.
    take_one(&s, &caller)?;
    Ok(Json(EnvResponse {
        env: s.vault.env(&caller, body.and_then(|b| b.scope)).await?,
    }))
}

/// One unit of the caller's user's reveal budget (shared by all their tokens), or 429.
fn take_one(s: &AppState, caller: &Caller) -> Result<(), ApiError> {
    s.reveal_limiter
        .check(caller.user.id, s.vault.now_millis())
        .map_err(ApiError::rate_limited)
}
