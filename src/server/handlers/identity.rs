//! Health, identity, the org, users, tokens and the audit log.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{
    AuditList, AuditQuery, CreateToken, CreateTokenBody, CreatedToken, Health, Me, OrgInfo, PatchOrg, TokenList,
};
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::extract::{ApiJson, ApiQuery, Authed, PathParam};
use crate::server::openapi::{AuthedErrors, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unavailable};

/// Liveness; no token needed. 503 once the store can no longer write (its writer has stopped):
/// a restart is needed, and a supervisor polling this learns it.
#[utoipa::path(get, path = "/healthz", tag = "identity",
    responses((status = 200, body = Health), (status = 503, response = Unavailable)))]
pub async fn healthz(State(s): State<AppState>) -> Result<Json<Health>, ApiError> {
    if !s.vault.store().healthy() {
        return Err(ApiError::unavailable(
            "the database writer has stopped; nothing can be recorded until the server is restarted",
        ));
    }
    Ok(Json(Health { status: "ok".into() }))
}

#[utoipa::path(get, path = "/v1/me", tag = "identity",
    responses((status = 200, body = Me), AuthedErrors), security(("bearer" = [])))]
pub async fn me(State(s): State<AppState>, Authed(caller): Authed) -> Result<Json<Me>, ApiError> {
    Ok(Json(s.vault.me(&caller).await?))
}

#[utoipa::path(get, path = "/v1/org", tag = "identity",
    responses((status = 200, body = OrgInfo), AuthedErrors), security(("bearer" = [])))]
pub async fn org(State(s): State<AppState>, Authed(caller): Authed) -> Result<Json<OrgInfo>, ApiError> {
    Ok(Json(s.vault.org(&caller).await?))
}

/// Admin only.
#[utoipa::path(patch, path = "/v1/org", request_body = PatchOrg, tag = "identity",
    responses((status = 200, body = OrgInfo), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge), AuthedErrors),
    security(("bearer" = [])))]
pub async fn patch_org(
    State(s): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<PatchOrg>,
) -> Result<Json<OrgInfo>, ApiError> {
    Ok(Json(s.vault.patch_org(&caller, &body).await?))
}

/// A new token for the caller, shown once. `expiresIn` is in seconds; the new token never
/// outlives the token that creates it (a longer lifetime is capped, an omitted one is the
/// creating token's), and revoking the creating token revokes it too.
#[utoipa::path(post, path = "/v1/tokens", request_body = CreateTokenBody, tag = "identity",
    responses((status = 201, body = CreatedToken), (status = 400, response = BadRequest),
        (status = 413, response = PayloadTooLarge), AuthedErrors),
    security(("bearer" = [])))]
pub async fn create_token(
    State(s): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.vault.create_token(&caller, &body).await?)))
}

/// The caller's live tokens (neither revoked nor expired), with kind, last use and the token that
/// created each; never the tokens themselves.
#[utoipa::path(get, path = "/v1/tokens", tag = "identity",
    responses((status = 200, body = TokenList), AuthedErrors), security(("bearer" = [])))]
pub async fn list_tokens(State(s): State<AppState>, Authed(caller): Authed) -> Result<Json<TokenList>, ApiError> {
    Ok(Json(TokenList {
        tokens: s.vault.list_tokens(&caller).await?,
    }))
}

/// Revokes one of the caller's own live tokens (the one in use included) and, in the same
/// transaction, every token it created, transitively.
#[utoipa::path(delete, path = "/v1/tokens/{id}", params(("id" = String, Path, description = "The token's id, `tok_…`")),
    tag = "identity",
    responses((status = 204, description = "revoked"), (status = 400, response = BadRequest), (status = 404, response = NotFound), AuthedErrors),
    security(("bearer" = [])))]
pub async fn revoke_token(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(id): PathParam,
) -> Result<StatusCode, ApiError> {
    s.vault.revoke_token(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Newest first. Admins see the whole org; members their own events.
#[utoipa::path(get, path = "/v1/audit", params(AuditQuery), tag = "audit",
    responses((status = 200, body = AuditList), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        AuthedErrors),
    security(("bearer" = [])))]
pub async fn audit(
    State(s): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditList>, ApiError> {
    Ok(Json(AuditList {
        events: s.vault.audit(&caller, &q).await?,
    }))
}
