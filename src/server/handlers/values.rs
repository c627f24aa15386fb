//! The two endpoints that return values: reveal and env. Both are audited before answering.

use axum::Json;
use axum::extract::State;
use axum::http::header::{ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::{EnvRequest, EnvResponse, RevealQuery, Revealed};
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::extract::{ApiQuery, Authed, Delivery, OptionalJson, PathParam};
use crate::server::openapi::{AuthedErrors, BadRequest, DeliveryErrors, Forbidden, NotFound, PayloadTooLarge};
use crate::vault::{Caller, EnvDelivery};

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
/// without one (or with no `scope`), every scope is delivered. The answer names the write-only
/// secrets (`writeOnly`) and the ones left out because their stored value does not open
/// (`skipped`, each recorded as a denied `env` event). A runner token is delivered its own
/// namespace and scope only. The answer's `ETag` names the bundle: sent back in `If-None-Match`,
/// an unchanged bundle is answered 304 with no body, no value opened and nothing recorded.
#[utoipa::path(post, path = "/v1/env",
    params(("If-None-Match" = Option<String>, Header,
        description = "The ETag of the bundle the caller holds: 304 when it is still the current one")),
    request_body(content = EnvRequest, description = "Optional: without a body, every scope"),
    tag = "values",
    responses(
        (status = 200, body = EnvResponse,
            headers(("ETag" = String, description = "The bundle's entity tag, for If-None-Match"))),
        (status = 304, description = "The bundle is the one named in If-None-Match: no body, no value",
            headers(("ETag" = String, description = "The bundle's entity tag"))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge), DeliveryErrors),
    security(("bearer" = [])))]
pub async fn env(
    State(s): State<AppState>,
    Delivery(caller): Delivery,
    headers: HeaderMap,
    // Optional because `vaultty run` without --scope sends no body.
    OptionalJson(body): OptionalJson<EnvRequest>,
) -> Result<Response, ApiError> {
    // One unit per call, whatever the number of values: a runner fetching its 40 secrets once a
    // minute spends 1 a minute, and a call cannot deliver more than each value once, so calling
    // env in a loop spends the same budget as revealing in a loop.
    take_one(&s, &caller)?;
    let if_none_match = headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let req = body.unwrap_or_default();
    Ok(match s.vault.env(&caller, &req, if_none_match).await? {
        EnvDelivery::Values { answer, etag } => ([(ETAG, etag)], Json(answer)).into_response(),
        EnvDelivery::Unchanged { etag } => (StatusCode::NOT_MODIFIED, [(ETAG, etag)]).into_response(),
    })
}

/// One unit of the caller's user's reveal budget (shared by all their tokens), or 429.
fn take_one(s: &AppState, caller: &Caller) -> Result<(), ApiError> {
    s.reveal_limiter
        .check(caller.user.id, s.vault.now_millis())
        .map_err(ApiError::rate_limited)
}
