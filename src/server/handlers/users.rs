//! Users and enrolment: the admin's user and token management, and the exchange of an
//! enrolment code for a first token (the one operation besides health that needs no token).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{
    CreateUser, EnrollRequest, Enrolled, Enrolment, NewEnrolment, PatchUser, RevokedTokens, TokenList, UserInfo,
    UserList,
};
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::extract::{ApiJson, Authed, ClientOrigin, PathParam, UserTokenPath};
use crate::server::openapi::{
    AuthedErrors, BadRequest, Conflict, Forbidden, InsufficientStorage, Internal, NotFound, PayloadTooLarge,
    RateLimited, Unauthorized, Unavailable,
};
use crate::vault::{EnrolError, VaultError};

/// Admin only. Creates the user and answers with a single-use enrolment code (shown once) that
/// the new member exchanges for their own token at `POST /v1/enroll`; never a token.
#[utoipa::path(post, path = "/v1/users", request_body = CreateUser, tag = "users",
    responses((status = 201, body = Enrolment), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge), AuthedErrors),
    security(("bearer" = [])))]
pub async fn create_user(
    State(s): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<Enrolment>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.vault.create_user(&caller, &body).await?)))
}

/// Admin only, ordered by name.
#[utoipa::path(get, path = "/v1/users", tag = "users",
    responses((status = 200, body = UserList), (status = 403, response = Forbidden), AuthedErrors),
    security(("bearer" = [])))]
pub async fn list_users(State(s): State<AppState>, Authed(caller): Authed) -> Result<Json<UserList>, ApiError> {
    Ok(Json(UserList {
        users: s.vault.list_users(&caller).await?,
    }))
}

/// Admin only. Changes the role or disables / enables the user; a disabled user's tokens answer
/// 401 at once and work again when enabled. 409 when no enabled admin would be left.
#[utoipa::path(patch, path = "/v1/users/{name}", params(("name" = String, Path, pattern = r"^[a-z][a-z0-9_.-]{0,63}$", description = "The user's name")),
    request_body = PatchUser, tag = "users",
    responses((status = 200, body = UserInfo), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        AuthedErrors),
    security(("bearer" = [])))]
pub async fn patch_user(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(name): PathParam,
    ApiJson(body): ApiJson<PatchUser>,
) -> Result<Json<UserInfo>, ApiError> {
    Ok(Json(s.vault.patch_user(&caller, &name, &body).await?))
}

/// Admin only. A new enrolment code for a user who has not enrolled yet (their earlier codes
/// stop working). 409 once the user has enrolled: an existing user is never enrolled again,
/// so that no admin can take over their account.
#[utoipa::path(post, path = "/v1/users/{name}/enrolment", params(("name" = String, Path, pattern = r"^[a-z][a-z0-9_.-]{0,63}$", description = "The user's name")),
    request_body = NewEnrolment, tag = "users",
    responses((status = 201, body = Enrolment), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        AuthedErrors),
    security(("bearer" = [])))]
pub async fn new_enrolment(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(name): PathParam,
    ApiJson(body): ApiJson<NewEnrolment>,
) -> Result<(StatusCode, Json<Enrolment>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.vault.new_enrolment(&caller, &name, &body).await?),
    ))
}

/// Admin only: the user's live tokens; never the tokens themselves.
#[utoipa::path(get, path = "/v1/users/{name}/tokens", params(("name" = String, Path, pattern = r"^[a-z][a-z0-9_.-]{0,63}$", description = "The user's name")),
    tag = "users",
    responses((status = 200, body = TokenList), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), AuthedErrors),
    security(("bearer" = [])))]
pub async fn user_tokens(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(name): PathParam,
) -> Result<Json<TokenList>, ApiError> {
    Ok(Json(TokenList {
        tokens: s.vault.user_tokens(&caller, &name).await?,
    }))
}

/// Admin only: revokes all of the user's tokens.
#[utoipa::path(delete, path = "/v1/users/{name}/tokens", params(("name" = String, Path, pattern = r"^[a-z][a-z0-9_.-]{0,63}$", description = "The user's name")),
    tag = "users",
    responses((status = 200, body = RevokedTokens), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), AuthedErrors),
    security(("bearer" = [])))]
pub async fn revoke_user_tokens(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(name): PathParam,
) -> Result<Json<RevokedTokens>, ApiError> {
    Ok(Json(s.vault.revoke_user_tokens(&caller, &name).await?))
}

/// Admin only: revokes one of the user's tokens and every token it created.
#[utoipa::path(delete, path = "/v1/users/{name}/tokens/{id}",
    params(("name" = String, Path, pattern = r"^[a-z][a-z0-9_.-]{0,63}$", description = "The user's name"), ("id" = String, Path, description = "The token's id, `tok_…`")),
    tag = "users",
    responses((status = 204, description = "revoked"), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), AuthedErrors),
    security(("bearer" = [])))]
pub async fn revoke_user_token(
    State(s): State<AppState>,
    Authed(caller): Authed,
    UserTokenPath(name, id): UserTokenPath,
) -> Result<StatusCode, ApiError> {
    s.vault.revoke_user_token(&caller, &name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// No token: exchanges a single-use enrolment code for the user's first token (shown once; no
/// expiry). An unknown, used or expired code is 401 and audited; unknown codes count as failed
/// authentications of the client address, so guessing is limited like guessing tokens.
#[utoipa::path(post, path = "/v1/enroll", request_body = EnrollRequest, tag = "users",
    responses((status = 201, body = Enrolled), (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized), (status = 413, response = PayloadTooLarge),
        (status = 429, response = RateLimited), (status = 500, response = Internal), (status = 503, response = Unavailable),
        (status = 507, response = InsufficientStorage)))]
pub async fn enroll(
    State(s): State<AppState>,
    origin: ClientOrigin,
    ApiJson(body): ApiJson<EnrollRequest>,
) -> Result<(StatusCode, Json<Enrolled>), ApiError> {
    if let Some(refused) = origin.refuse_if_limited(&s).await {
        return Err(refused);
    }
    match s.vault.enroll(&body.code, origin.origin()).await {
        Ok(enrolled) => Ok((StatusCode::CREATED, Json(enrolled))),
        Err(EnrolError::Unknown) => {
            let answer = VaultError::Unauthorized("unknown enrolment code: check it was pasted whole".into());
            Err(origin.failed(&s, answer.into()).await)
        }
        Err(EnrolError::Other(e)) => Err(e.into()),
    }
}
