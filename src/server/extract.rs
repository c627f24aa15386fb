//! Extractors that answer bad input with the API's error body instead of axum's plain text, and
//! the bearer-token authentication of every `/v1` route.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use super::error::ApiError;
use super::{AppState, ratelimit};
use crate::api::ErrorCode;
use crate::crypto::{TokenHash, hash_token};
use crate::store::Millis;
use crate::vault::{Caller, Origin, VaultError};

mod path_name;
mod refusal;

pub use path_name::{PathParam, UserTokenPath};

/// A JSON body, with the error body for every way it can be wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::invalid(
                "the body must be JSON, sent with `Content-Type: application/json`",
            ));
        }
        let body = Bytes::from_request(req, state).await.map_err(|_| too_large())?;
        from_json(&body).map(ApiJson)
    }
}

/// `application/json` or `application/<anything>+json`, with any parameters: what axum's `Json`
/// accepted before this extractor read bodies itself.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence
        .strip_prefix("application/")
        .is_some_and(|sub| sub == "json" || sub.ends_with("+json"))
}

/// Reads a JSON body; a refusal says the kind, the field path and the position, never the input
/// (see `refusal`).
fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // Every body of the API is an object, but serde's derived structs also read an array of
    // their fields in order (`[null, true]` as a PATCH): refused here, once for all of them.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::invalid(
            "the request body must be a JSON object, not an array",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let (path, inner) = (e.path().clone(), e.into_inner());
        json_refusal(&inner, &path, refusal::fields_of::<T>())
    })?;
    de.end().map_err(|e| json_refusal(&e, &[], &[]))?;
    Ok(value)
}

fn json_refusal<'p>(e: &serde_json::Error, path: impl IntoIterator<Item = &'p Segment>, fields: &[&str]) -> ApiError {
    let (line, column) = (e.line(), e.column());
    match e.classify() {
        serde_json::error::Category::Data => {
            // serde_json appends the position to the message; the kind is at its start.
            let message = e.to_string();
            ApiError::invalid(format!(
                "invalid body: {}",
                refusal::describe(
                    strip_position(&message, line, column),
                    path,
                    fields,
                    Some((line, column))
                )
            ))
        }
        // serde_json also says this of a number where an enum's name belongs: the field helps.
        _ => ApiError::invalid(format!(
            "the body is not valid JSON{} (line {line}, column {column})",
            refusal::at_path(path, fields)
        )),
    }
}

fn strip_position(message: &str, line: usize, column: usize) -> &str {
    message
        .strip_suffix(&format!(" at line {line} column {column}"))
        .unwrap_or(message)
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
        from_json(&body).map(|v| OptionalJson(Some(v)))
    }
}

/// A query string, with the error body when it is wrong: the kind and the parameter, never the
/// text sent (see `refusal`).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            ApiError::invalid(format!(
                "invalid query: {}",
                refusal::describe(&e.inner().to_string(), e.path(), refusal::fields_of::<T>(), None)
            ))
        })
    }
}

/// The authenticated caller of a request.
///
/// Failed authentications are counted per client address (`ratelimit::AuthFailures`): past the
/// limit an address is answered 429 instead of 401, and the failures reach the audit log as
/// summarised rows. A limited address's token is looked up only when it authenticated lately
/// (`ratelimit::KnownTokens`): a guesser there costs no database work, while a colleague behind the
/// same NAT as a broken script, whose token is in use, is not locked out.
///
/// Runner tokens are refused here (403, audited as `runner_refused`): every operation takes
/// `Authed` but the two a runner may call, which take [`Delivery`]. Refusal is so the default, and
/// a new route is closed to runner tokens unless it says otherwise.
pub struct Authed(pub Caller);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = authenticate(parts, state).await?;
        if caller.runner.is_some() {
            let route = parts.extensions.get::<MatchedPath>().map_or("?", MatchedPath::as_str);
            let operation = format!("{} {route}", parts.method);
            return Err(state.vault.refuse_runner(&caller, &operation).await.into());
        }
        Ok(Authed(caller))
    }
}

/// [`Authed`] that lets runner tokens past too: for `POST /v1/env` and `GET /v1/events` only,
/// where the vault narrows what a runner is given to its binding (`Caller::runner`).
pub struct Delivery(pub Caller);

impl FromRequestParts<AppState> for Delivery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await.map(Delivery)
    }
}

/// The bearer token's caller, with the failed-authentication limit applied.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let ClientOrigin { addr, client } = ClientOrigin::of(parts);
    let hash = bearer_hash(&parts.headers);
    let now = state.vault.now_millis();
    let limited = state.auth_failures.retry_after(addr, now);
    if let Some(secs) = limited
        && !hash.is_some_and(|h| state.known_tokens.contains(&h, now))
    {
        return Err(failed(state, addr, client, now, too_many_failures(secs)).await);
    }
    let origin = Origin {
        client: client.clone(),
        ip: addr.map(|ip| ip.to_string()),
    };
    match state.vault.authenticate_hash(hash, origin).await {
        Ok(caller) => {
            if let Some(hash) = hash {
                state.known_tokens.insert(hash, now);
            }
            Ok(caller)
        }
        Err(e @ VaultError::Unauthorized(_)) => {
            let answer = limited.map_or_else(|| e.into(), too_many_failures);
            Err(failed(state, addr, client, now, answer).await)
        }
        Err(e) => Err(e.into()),
    }
}

/// The hash of the request's bearer token, if it sends one: what authentication looks up. A
/// handler that authenticates again later (an event stream re-checks its token) hashes it here too.
pub fn bearer_hash(headers: &HeaderMap) -> Option<TokenHash> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| hash_token(&SecretString::from(t.trim().to_owned())))
}

/// Where an unauthenticated request comes from: the client address the failed-authentication
/// limit counts by, and the User-Agent (at most 200 characters) for the audit log.
pub struct ClientOrigin {
    pub addr: Option<IpAddr>,
    pub client: Option<String>,
}

impl ClientOrigin {
    fn of(parts: &Parts) -> ClientOrigin {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        let client = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect());
        ClientOrigin { addr, client }
    }

    pub fn origin(&self) -> Origin {
        Origin {
            client: self.client.clone(),
            ip: self.addr.map(|ip| ip.to_string()),
        }
    }

    /// `Some(answer)` (429) when this address is past the failed-authentication limit: a request
    /// that authenticates without a token (enrolment) is refused then, as a token would be.
    pub async fn refuse_if_limited(&self, state: &AppState) -> Option<ApiError> {
        let now = state.vault.now_millis();
        let secs = state.auth_failures.retry_after(self.addr, now)?;
        Some(failed(state, self.addr, self.client.clone(), now, too_many_failures(secs)).await)
    }

    /// Counts a failed authentication (an unknown enrolment code) like a wrong token, and gives
    /// `answer`.
    pub async fn failed(self, state: &AppState, answer: ApiError) -> ApiError {
        let now = state.vault.now_millis();
        failed(state, self.addr, self.client, now, answer).await
    }
}

impl FromRequestParts<AppState> for ClientOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, ApiError> {
        Ok(ClientOrigin::of(parts))
    }
}

/// Counts a failed authentication and gives `answer`, after writing the address's row first when
/// it is due now (the first failure from a quiet address, durable before the answer as every
/// audited refusal is; the rest are written summarised by the flusher).
async fn failed(
    state: &AppState,
    addr: Option<IpAddr>,
    client: Option<String>,
    now: Millis,
    answer: ApiError,
) -> ApiError {
    state.metrics.auth_failure(answer.status);
    let Some(row) = state.auth_failures.record(addr, client, now) else {
        return answer;
    };
    match state
        .vault
        .record_auth_failures(vec![ratelimit::failed_auths(row)])
        .await
    {
        Ok(()) => answer,
        Err(e) => e.into(),
    }
}

fn too_many_failures(retry_after_secs: u64) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!("too many failed authentications from this address; retry in {retry_after_secs} s"),
    );
    e.retry_after = Some(retry_after_secs);
    e
}
