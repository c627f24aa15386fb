//! The one path parameter of a route (`{name}`, `{id}`), with the API's error body when axum cannot
//! read it: a percent-encoded segment that is not UTF-8 would otherwise get axum's plain-text 400,
//! whose text quotes the segment.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::server::error::ApiError;

pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| PathParam(p))
            .map_err(|_| ApiError::invalid("the path's last segment is not valid percent-encoded UTF-8"))
    }
}

/// The two path parameters of `/v1/users/{name}/tokens/{id}`, with the same error body.
pub struct UserTokenPath(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for UserTokenPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map(|Path((name, id))| UserTokenPath(name, id))
            .map_err(|_| ApiError::invalid("a path segment is not valid percent-encoded UTF-8"))
    }
}
