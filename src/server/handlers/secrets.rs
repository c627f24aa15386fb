//! `/v1/secrets`: metadata, writes, history.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::{
    ErrorCode, ListQuery, NamespaceQuery, PatchSecret, SecretList, SecretMeta, UpsertSecret, VersionList,
};
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::extract::{ApiJson, ApiQuery, Authed, PathParam};
use crate::server::list_cache::ListKey;
use crate::server::openapi::{AuthedErrors, BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable};

/// The metadata the caller may see: its own and the org's; admins may ask for other users' (`all`, `user_id`).
#[utoipa::path(get, path = "/v1/secrets", params(ListQuery), tag = "secrets",
    responses((status = 200, body = SecretList), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), AuthedErrors),
    security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    // Read before the rows (see `list_cache.rs`): what is kept under it is then at least as new.
    let mut version = s.vault.store().data_version();
    let key = ListKey::new(&caller, &q);
    if let Some(body) = version.and_then(|v| s.list_cache.get(&key, v)) {
        return Ok(json(body));
    }
    // A store that keeps nothing has no turns to wait for.
    let turn = match version {
        Some(_) => Some(s.list_cache.turn(&key).await),
        None => None,
    };
    if turn.is_some() {
        version = s.vault.store().data_version();
        if let Some(body) = version.and_then(|v| s.list_cache.get(&key, v)) {
            return Ok(json(body));
        }
    }
    let list = SecretList {
        secrets: s.vault.list(&caller, &q).await?,
    };
    // A listing of thousands of secrets is megabytes, which `Json` would reach by doubling a
    // buffer from 128 bytes, copying it each time: write it once into one of about its size.
    let mut body = Vec::with_capacity(16 + list.secrets.len() * LISTED_BYTES);
    serde_json::to_writer(&mut body, &list).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "cannot encode the listing",
        )
    })?;
    let cost = body.capacity();
    let body = Bytes::from(body);
    if let Some(v) = version {
        s.list_cache.put(key, v, body.clone(), cost);
    }
    // Kept: the next in line for this key finds it.
    drop(turn);
    Ok(json(body))
}

/// A listing's answer, the same whether it was just encoded or kept.
fn json(body: Bytes) -> Response {
    ([(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// About the JSON size of one listed secret with a short description.
const LISTED_BYTES: usize = 320;

/// Create (201) or rotate (200) by name.
#[utoipa::path(post, path = "/v1/secrets", request_body = UpsertSecret, tag = "secrets",
    responses((status = 201, body = SecretMeta, description = "created"), (status = 200, body = SecretMeta, description = "rotated"),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge), (status = 422, response = Unprocessable), AuthedErrors),
    security(("bearer" = [])))]
pub async fn upsert(
    State(s): State<AppState>,
    Authed(caller): Authed,
    ApiJson(req): ApiJson<UpsertSecret>,
) -> Result<(StatusCode, Json<SecretMeta>), ApiError> {
    let (meta, created) = s.vault.upsert(&caller, &req).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(meta)))
}

/// The caller's own secret of that name, else the org's (`orgWide=true`: the org's only).
#[utoipa::path(get, path = "/v1/secrets/{name}", params(("name" = String, Path, pattern = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", description = "The secret's name"), NamespaceQuery), tag = "secrets",
    responses((status = 200, body = SecretMeta), (status = 400, response = BadRequest), (status = 404, response = NotFound),
        AuthedErrors),
    security(("bearer" = [])))]
pub async fn get_one(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(name): PathParam,
    ApiQuery(q): ApiQuery<NamespaceQuery>,
) -> Result<Json<SecretMeta>, ApiError> {
    Ok(Json(s.vault.get(&caller, &name, q.org_wide.unwrap_or(false)).await?))
}

/// Edits metadata without rotating, in the caller's namespace (`orgWide=true`: the org's); writes never fall back.
#[utoipa::path(patch, path = "/v1/secrets/{name}", params(("name" = String, Path, pattern = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", description = "The secret's name"), NamespaceQuery), request_body = PatchSecret,
    tag = "secrets",
    responses((status = 200, body = SecretMeta), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 413, response = PayloadTooLarge), (status = 422, response = Unprocessable),
        AuthedErrors),
    security(("bearer" = [])))]
pub async fn patch(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(name): PathParam,
    ApiQuery(q): ApiQuery<NamespaceQuery>,
    ApiJson(body): ApiJson<PatchSecret>,
) -> Result<Json<SecretMeta>, ApiError> {
    Ok(Json(
        s.vault
            .patch(&caller, &name, q.org_wide.unwrap_or(false), &body)
            .await?,
    ))
}

/// Deletes from the caller's namespace (`orgWide=true`: the org's); writes never fall back.
#[utoipa::path(delete, path = "/v1/secrets/{name}", params(("name" = String, Path, pattern = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", description = "The secret's name"), NamespaceQuery), tag = "secrets",
    responses((status = 204, description = "deleted"), (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), AuthedErrors),
    security(("bearer" = [])))]
pub async fn remove(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(name): PathParam,
    ApiQuery(q): ApiQuery<NamespaceQuery>,
) -> Result<StatusCode, ApiError> {
    s.vault.delete(&caller, &name, q.org_wide.unwrap_or(false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Versions newest first (the newest `max_versions` are kept).
#[utoipa::path(get, path = "/v1/secrets/{name}/versions", params(("name" = String, Path, pattern = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", description = "The secret's name"), NamespaceQuery), tag = "secrets",
    responses((status = 200, body = VersionList), (status = 400, response = BadRequest), (status = 404, response = NotFound),
        AuthedErrors),
    security(("bearer" = [])))]
pub async fn versions(
    State(s): State<AppState>,
    Authed(caller): Authed,
    PathParam(name): PathParam,
    ApiQuery(q): ApiQuery<NamespaceQuery>,
) -> Result<Json<VersionList>, ApiError> {
    Ok(Json(VersionList {
        versions: s.vault.versions(&caller, &name, q.org_wide.unwrap_or(false)).await?,
    }))
}
