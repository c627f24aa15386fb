//! The error body every non-2xx response carries.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    InvalidRequest,
    PayloadTooLarge,
    RateLimited,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// On a `conflict` from a check-and-set write: the version now stored (an addition to docs/API.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// `{"error": {"code": "...", "message": "..."}}`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
                current_version: None,
            },
        }
    }
}

/// What kind of failure a call met: the one classification both front ends draw from, the CLI
/// for its exit code and the TUI for what it does next. It lives here, beside the error codes,
/// because `tui::app` may not import `client`: the client classifies, the app only decides.
/// Not on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// No HTTP answer: connection refused, DNS, TLS, or a timeout.
    Unreachable,
    Unauthorized,
    Forbidden,
    NotFound,
    /// Check-and-set failed; the stored version when the server said it.
    Conflict {
        current_version: Option<i64>,
    },
    RateLimited,
    /// The server refused the request as malformed or too large.
    Invalid,
    /// A local mistake before anything was sent: a bad URL, a refused plain-HTTP URL.
    Usage,
    /// Any other answer, or one this client cannot read.
    Server,
}
