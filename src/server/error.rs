//! `VaultError` to status code and error body, in one place.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::{ErrorBody, ErrorCode};
use crate::store::StoreError;
use crate::vault::VaultError;

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody::new(code, message),
            retry_after: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("too many reveals and env deliveries for this user; retry in {retry_after_secs} s"),
        );
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// 429: the caller's user holds as many event streams as it may (`GET /v1/events`).
    pub fn too_many_streams(max: usize) -> Self {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("this user has {max} event streams open already; close one, or retry in 30 s"),
        );
        e.retry_after = Some(30);
        e
    }

    /// 503 with `Retry-After: 1`: the server cannot take this request now, and may soon.
    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Internal, message);
        e.retry_after = Some(1);
        e
    }

    /// A request past the request timeout (`vaultty serve --request-timeout`).
    pub fn timed_out(timeout: std::time::Duration) -> Self {
        ApiError::unavailable(format!(
            "the server did not answer within {} s; a write may still have been applied, so check before repeating it",
            timeout.as_secs_f64()
        ))
    }
}

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        use ErrorCode as C;
        use StatusCode as S;
        match e {
            VaultError::Unauthorized(m) => ApiError::new(S::UNAUTHORIZED, C::Unauthorized, m),
            VaultError::Forbidden(m) => ApiError::new(S::FORBIDDEN, C::Forbidden, m),
            VaultError::NotFound(m) => ApiError::new(S::NOT_FOUND, C::NotFound, m),
            VaultError::Conflict { message, current } => {
                let mut err = ApiError::new(S::CONFLICT, C::Conflict, message);
                err.body.error.current_version = current;
                err
            }
            VaultError::Invalid(m) => ApiError::new(S::BAD_REQUEST, C::InvalidRequest, m),
            VaultError::Unprocessable(m) => ApiError::new(S::UNPROCESSABLE_ENTITY, C::InvalidRequest, m),
            VaultError::AlreadyInitialised => ApiError::new(S::CONFLICT, C::Conflict, e.to_string()),
            VaultError::Store(StoreError::Busy) => ApiError::unavailable("the database is busy; try again"),
            VaultError::Store(StoreError::Overloaded) => {
                ApiError::unavailable("the server is handling too many requests at once; try again")
            }
            VaultError::Store(StoreError::Full) => ApiError::new(
                S::INSUFFICIENT_STORAGE,
                C::Internal,
                "the vault's disk is full; nothing was written",
            ),
            other => {
                // Store and crypto errors carry no values, but they are operator detail: log, don't echo.
                tracing::error!(error = %other, "request failed");
                ApiError::new(
                    S::INTERNAL_SERVER_ERROR,
                    C::Internal,
                    "internal error; the server log has the detail",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}
