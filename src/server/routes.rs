//! The router: every route of docs/API.md, the body limit, request logging and the 404 fallback.

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};

use super::AppState;
use super::error::ApiError;
use super::handlers::{events, identity, secrets, users, values};
use crate::api::MAX_BODY_BYTES;

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(identity::healthz))
        .route("/openapi.json", get(super::openapi::serve_openapi))
        .route("/v1/me", get(identity::me))
        .route("/v1/secrets", get(secrets::list).post(secrets::upsert))
        .route(
            "/v1/secrets/{name}",
            get(secrets::get_one).patch(secrets::patch).delete(secrets::remove),
        )
        .route("/v1/secrets/{name}/reveal", post(values::reveal))
        .route("/v1/secrets/{name}/versions", get(secrets::versions))
        .route("/v1/env", post(values::env))
        .route("/v1/events", get(events::events))
        .route("/v1/audit", get(identity::audit))
        .route("/v1/org", get(identity::org).patch(identity::patch_org))
        .route("/v1/users", get(users::list_users).post(users::create_user))
        .route("/v1/users/{name}", patch(users::patch_user))
        .route("/v1/users/{name}/enrolment", post(users::new_enrolment))
        .route(
            "/v1/users/{name}/tokens",
            get(users::user_tokens).delete(users::revoke_user_tokens),
        )
        .route("/v1/users/{name}/tokens/{id}", delete(users::revoke_user_token))
        .route("/v1/enroll", post(users::enroll))
        .route("/v1/tokens", get(identity::list_tokens).post(identity::create_token))
        .route("/v1/tokens/{id}", delete(identity::revoke_token))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        crate::api::ErrorCode::InvalidRequest,
        "method not allowed on this endpoint; see /openapi.json",
    )
}

/// One line per request: method, path (names only: values never travel in paths), status, time.
/// Headers and bodies are never logged: they carry tokens and values. The same request is
/// counted in `/metrics` by its route TEMPLATE (`MatchedPath`: `Router::layer` wraps each route,
/// so it is set here), never by its path.
async fn log_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let res = next.run(req).await.into_response();
    let took = started.elapsed();
    state
        .metrics
        .request(matched.as_ref().map(MatchedPath::as_str), &method, res.status(), took);
    tracing::info!(
        %method,
        path,
        status = res.status().as_u16(),
        micros = took.as_micros() as u64,
        "request"
    );
    res
}
