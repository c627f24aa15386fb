//! The OpenAPI document, generated from the handlers' annotations so it cannot drift from them.
//!
//! Every error answer is one of the named responses below (`#/components/responses/...`), each with
//! the error body; a handler's annotation lists the ones it can really give, and every
//! authenticated operation takes the five of [`AuthedErrors`]. `tests/openapi.rs` holds the
//! document to that, and CI runs schemathesis against a live server (`.ci/schemathesis.sh`).

use std::collections::BTreeMap;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, Required, Response, ResponseBuilder, Type,
};
use utoipa::{IntoResponses, Modify, OpenApi, ToResponse, ToSchema};

use super::handlers::{events, identity, secrets, users, values};
use crate::api::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(title = "vaultty", description = "The vaultty secrets API (v1). The contract in prose: docs/API.md."),
    paths(
        identity::healthz, serve_openapi, identity::me, identity::org, identity::patch_org,
        identity::create_token, identity::list_tokens, identity::revoke_token,
        users::create_user, users::list_users, users::patch_user, users::new_enrolment, users::user_tokens,
        users::revoke_user_tokens, users::revoke_user_token, users::enroll,
        identity::audit,
        secrets::list, secrets::upsert, secrets::get_one, secrets::patch, secrets::remove, secrets::versions,
        values::reveal, values::env, events::events,
    ),
    components(schemas(ErrorBody), responses(
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, Unprocessable, RateLimited,
        Internal, Unavailable, InsufficientStorage,
    )),
    modifiers(&BearerAuth, &OptionalEnvBody)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("vt_… (a user token) or vr_… (a runner token)")
                    .build(),
            ),
        );
    }
}

/// `POST /v1/env` takes its body or none (`vaultty run` without `--scope` sends none). utoipa makes
/// the body of a plain type required, and that of an `Option` type nullable, which the server is not.
struct OptionalEnvBody;

impl Modify for OptionalEnvBody {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let body = openapi
            .paths
            .paths
            .get_mut("/v1/env")
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.request_body.as_mut());
        if let Some(RefOr::T(body)) = body {
            body.required = Some(Required::False);
        }
    }
}

/// An error answer: the error body, and `Retry-After` (whole seconds) where the client should wait.
fn error_response(description: &str, retry_after: bool) -> Response {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(ErrorBody::name())))
            .build(),
    );
    if retry_after {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1))))
                .description(Some(
                    "Seconds to wait before trying again; always sent with this status.",
                ))
                .build(),
        );
    }
    response.build()
}

/// Declares named error responses (`#/components/responses/<Name>`); the annotations give their statuses.
macro_rules! error_responses {
    ($($name:ident, $retry_after:literal, $description:literal;)+) => {
        $(
            #[doc = $description]
            pub(crate) struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), error_response($description, $retry_after).into())
                }
            }
        )+
    };
}

error_responses! {
    BadRequest, false,
        "`invalid_request`: a malformed body or query (not JSON, a wrong type, an unknown field), or a value \
         outside the limits (name pattern, value size in bytes, description length, integer ranges).";
    Unauthorized, false,
        "`unauthorized`: the bearer token is missing, unknown, revoked or expired, or its user is disabled; \
         for enrolment, the code is unknown, used or expired.";
    Forbidden, false, "`forbidden`: the policy does not let this caller do this (a runner token may only call `POST /v1/env` and `GET /v1/events`).";
    NotFound, false, "`not_found`: no such secret, version, user or token for this caller.";
    Conflict, false,
        "`conflict`: it exists already, a check-and-set write found another version \
         (`error.current_version` holds the stored one), the change would leave no enabled admin, or \
         the user has enrolled already.";
    PayloadTooLarge, false, "`payload_too_large`: the request body is larger than 131072 bytes (128 KiB).";
    Unprocessable, false,
        "`invalid_request`: well-formed, but the rules refuse it: a reserved name (one that changes how \
         programs start or load code, see `UpsertSecret.name`), or making a write-only secret \
         (`revealable: false`) revealable again.";
    RateLimited, true,
        "`rate_limited`: too many failed authentications from this client address (any authenticated \
         operation), too many reveals and env deliveries for this user (reveal, env), or too many \
         event streams open for this user (events); wait `Retry-After` seconds.";
    Internal, false, "`internal`: the server failed; its log has the detail.";
    Unavailable, true,
        "`internal`: the server cannot answer now: the database stayed busy, too many requests at once, \
         the request took longer than the request timeout, or (`/healthz`) the database writer has stopped; \
         wait `Retry-After` seconds and try again.";
    InsufficientStorage, false, "`internal`: the vault's disk is full; nothing was written.";
}

/// What every authenticated operation can answer besides its own statuses: a refused token, a
/// runner token used beyond delivery (403), a client address past its failed-authentication
/// limit, and the store failing (authentication reads the store, and a refused token is written
/// to the audit log).
pub(crate) struct AuthedErrors;

impl IntoResponses for AuthedErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = DeliveryErrors::responses();
        responses.insert(
            "403".to_owned(),
            Ref::from_response_name(Forbidden::response().0).into(),
        );
        responses
    }
}

/// [`AuthedErrors`] of the operations a runner token may call too, which do not refuse it.
pub(crate) struct DeliveryErrors;

impl IntoResponses for DeliveryErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            ("401", Unauthorized::response().0),
            ("429", RateLimited::response().0),
            ("500", Internal::response().0),
            ("503", Unavailable::response().0),
            ("507", InsufficientStorage::response().0),
        ]
        .into_iter()
        .map(|(status, name)| (status.to_owned(), Ref::from_response_name(name).into()))
        .collect()
    }
}

/// The document as JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub(crate) async fn serve_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}
