//! Extractors that answer bad input with the API's error body instead of axum's plain text, and
//! the bearer-token authentication of every `/v1` route.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::api::ErrorCode;
use crate::vault::{Caller, Origin};

/// A JSON body, with the error body for every way it can be wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::invalid("the body must be JSON, sent with `Content-Type: application/json`")
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::invalid("the body is not valid JSON"),
        JsonRejection::JsonDataError(e) => {
            ApiError::invalid(format!("invalid body: {}", redact_quoted(&e.body_text())))
        }
        JsonRejection::BytesRejection(_) => too_large(),
        other => ApiError::invalid(redact_quoted(&other.body_text())),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("the request body is larger than {} bytes", crate::api::MAX_BODY_BYTES),
    )
}

/// A JSON body that may be absent: no body, or only whitespace, is `None`. A body that is there is
/// read as JSON whatever its `Content-Type`, as `/v1/env` always has.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // The only way to fail reading the body is the body limit (or a connection gone meanwhile).
        let body = Bytes::from_request(req, state).await.map_err(|_| too_large())?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        serde_json::from_slice(&body)
            .map(|v| OptionalJson(Some(v)))
            .map_err(|e| ApiError::invalid(format!("invalid body: {}", redact_quoted(&e.to_string()))))
    }
}

/// serde quotes the offending input in some messages ("invalid type: string \"...\""); that input
/// may be a value sent in the wrong field, so quoted text never reaches the answer or the log.
pub(crate) fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"…\"");
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// A query string, with the error body when it is wrong.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::invalid(format!(
                "invalid query: {}",
                redact_quoted(&e.body_text())
            ))),
            Err(other) => Err(ApiError::invalid(redact_quoted(&other.body_text()))),
        }
    }
}

/// The authenticated caller of a request.
pub struct Authed(pub Caller);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let origin = Origin {
            client: parts
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(200).collect()),
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string()),
        };
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| SecretString::from(t.trim().to_owned()));
        let caller = state.vault.authenticate(token.as_ref(), origin).await?;
        Ok(Authed(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::redact_quoted;

    #[test]
    fn quoted_input_is_redacted() {
        let m = redact_quoted("invalid type: string \"sk-live-123\", expected i64 at line 1");
        assert!(!m.contains("sk-live"), "{m}");
        assert!(m.contains("expected i64"));
    }
}
