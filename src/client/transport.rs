//! Sending one call: the bearer header, the bounded retry of idempotent reads, reading the answer
//! into a buffer that is wiped afterwards, and decoding it.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::error::parse_retry_after;
use super::stream_decode::decode_array_streamed;
use super::{ClientError, ClientResult, VaultClient};

/// Attempts for a GET that failed to connect or met a 502/503/504.
const MAX_ATTEMPTS: u32 = 3;
/// Attempts for a GET that timed out: each one already waited the full timeout.
const MAX_TIMEOUT_ATTEMPTS: u32 = 2;
/// Pauses before the 2nd and 3rd attempts.
const BACKOFF: [Duration; 2] = [Duration::from_millis(150), Duration::from_millis(500)];
/// Largest answer read (buffered or streamed); the biggest legitimate one is an `/v1/env` of many 64 KiB values.
pub(super) const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// A successful answer: its status and its body (wiped on drop, as it may hold values).
pub(super) struct Answer {
    pub status: StatusCode,
    pub body: Zeroizing<Vec<u8>>,
}

impl Answer {
    pub fn decode<T: DeserializeOwned>(&self) -> ClientResult<T> {
        serde_json::from_slice(&self.body).map_err(|e| undecodable(self.status, &e))
    }
}

/// An answer past `MAX_ANSWER_BYTES`, whether buffered or streamed.
pub(super) fn too_large(status: StatusCode) -> ClientError {
    ClientError::Server {
        status: status.as_u16(),
        message: format!("the answer is larger than {} MiB", MAX_ANSWER_BYTES >> 20),
    }
}

/// An answer that does not decode. Only the position: serde's message can quote the offending
/// data, which may be a value.
pub(super) fn undecodable(status: StatusCode, e: &serde_json::Error) -> ClientError {
    ClientError::Server {
        status: status.as_u16(),
        message: format!(
            "the answer is not what this client expects ({:?} error at line {} column {}); is the \
             server a compatible vaultty?",
            e.classify(),
            e.line(),
            e.column()
        ),
    }
}

/// Whether a call carries the bearer token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Auth {
    Token,
    None,
}

impl VaultClient {
    /// Sends a call with an optional JSON body; a non-2xx answer becomes the matching error.
    pub(super) async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        auth: Auth,
    ) -> ClientResult<Answer> {
        let body = match body {
            Some(b) => Some(Zeroizing::new(serde_json::to_vec(b).map_err(|e| {
                ClientError::Config(format!("cannot encode the request ({:?} error)", e.classify()))
            })?)),
            None => None,
        };
        let body = body.as_ref().map(|b| b.as_slice());
        self.retrying(&method, || async {
            let resp = self.send(method.clone(), url.clone(), body, auth).await?;
            self.read_answer(resp).await
        })
        .await
    }

    /// A GET of a listing (`{"<field>": [...]}`), decoded as it arrives instead of from one
    /// buffer: listings carry no values and can be tens of MB (100,000 secrets), where the buffer
    /// would double the memory the decoded rows need.
    pub(super) async fn get_array_streamed<T: DeserializeOwned>(
        &self,
        url: Url,
        field: &str,
        auth: Auth,
    ) -> ClientResult<Vec<T>> {
        self.retrying(&Method::GET, || async {
            let resp = self.send(Method::GET, url.clone(), None, auth).await?;
            if resp.status().is_success() {
                decode_array_streamed(resp, field, &self.inner.base_str).await
            } else {
                // Errors are small: read whole, and turned into the matching error.
                self.read_answer(resp).await?.decode()
            }
        })
        .await
    }

    /// `GET /healthz` and the answer's `Date` header, the server's clock to the second (for
    /// `vaultty doctor`'s clock check). Sends no token.
    pub async fn health_and_date(&self) -> ClientResult<(crate::api::Health, Option<String>)> {
        let url = self.url(&["healthz"], &[])?;
        self.retrying(&Method::GET, || async {
            let resp = self.send(Method::GET, url.clone(), None, Auth::None).await?;
            let date = resp
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Ok((self.read_answer(resp).await?.decode()?, date))
        })
        .await
    }

    /// Runs `attempt` once, or, for a GET, up to `max_attempts` times while it fails transiently.
    /// Only GET is retried: a write that timed out may have happened, and repeating it blindly
    /// could rotate twice.
    async fn retrying<T, F, Fut>(&self, method: &Method, mut attempt: F) -> ClientResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ClientResult<T>>,
    {
        let retry = *method == Method::GET;
        let mut tries = 1;
        loop {
            match attempt().await {
                Err(e) if retry && e.is_transient() && tries < max_attempts(&e) => {
                    tokio::time::sleep(BACKOFF[(tries - 1) as usize]).await;
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    /// Sends one request with `headers` added and hands back the answer unread, whatever its
    /// status: for a caller that reads the head itself (`If-None-Match`, whose 304 is no error).
    /// Not retried. Read the body with [`VaultClient::read_answer`].
    pub(super) async fn send_with_headers(
        &self,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
        headers: reqwest::header::HeaderMap,
    ) -> ClientResult<Response> {
        let req = self.request(method, url, body, Auth::Token)?.headers(headers);
        self.dispatch(req).await
    }

    /// Sends one request; a redirect is refused with the address to use instead.
    async fn send(&self, method: Method, url: Url, body: Option<&[u8]>, auth: Auth) -> ClientResult<Response> {
        let req = self.request(method, url, body, auth)?;
        self.dispatch(req).await
    }

    /// A GET whose answer is a stream that lasts (`/v1/events`): the whole-request timeout would
    /// cut it, so only the connection and the answer's head are held to it; the caller bounds the
    /// quiet between chunks itself. A non-2xx answer becomes its error.
    pub(super) async fn send_long_lived(&self, url: Url) -> ClientResult<Response> {
        // reqwest's sleep saturates a duration this long to "never".
        let req = self
            .request(Method::GET, url, None, Auth::Token)?
            .header(ACCEPT, "text/event-stream")
            .timeout(Duration::MAX);
        let resp = tokio::time::timeout(self.inner.timeout, self.dispatch(req))
            .await
            .map_err(|_| ClientError::Timeout {
                url: self.inner.base_str.clone(),
            })??;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self
                .read_answer(resp)
                .await
                .err()
                .unwrap_or_else(|| ClientError::Server {
                    status: 0,
                    message: "an error answer that reads as a success".into(),
                }))
        }
    }

    /// A request with the bearer header (for `Auth::Token`) and a JSON body, not sent yet.
    fn request(&self, method: Method, url: Url, body: Option<&[u8]>, auth: Auth) -> ClientResult<RequestBuilder> {
        let mut req = self.inner.http.request(method, url);
        if auth == Auth::Token
            && let Some(token) = &self.inner.token
        {
            let text = Zeroizing::new(format!("Bearer {}", token.expose_secret()));
            let mut value = HeaderValue::from_str(&text)
                .map_err(|_| ClientError::Config("the token holds characters a header cannot carry".into()))?;
            value.set_sensitive(true);
            req = req.header(AUTHORIZATION, value);
        }
        if let Some(bytes) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(bytes.to_vec());
        }
        Ok(req)
    }

    /// Sends a request; a redirect is refused with the address to use instead.
    async fn dispatch(&self, req: RequestBuilder) -> ClientResult<Response> {
        let base = &self.inner.base_str;
        let resp = req.send().await.map_err(|e| ClientError::from_transport(base, &e))?;
        let status = resp.status();
        // 304 answers an If-None-Match (`env_if_changed`): "unchanged", not "go elsewhere".
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            // Typically http:// answered by a redirect to https://; say so rather than follow it.
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("elsewhere");
            return Err(ClientError::Config(format!(
                "the vault at {base} redirects to {location}; use that address as the vault URL"
            )));
        }
        Ok(resp)
    }

    /// Reads the whole answer into a buffer wiped on drop; a non-2xx one becomes its error.
    pub(super) async fn read_answer(&self, mut resp: Response) -> ClientResult<Answer> {
        let base = &self.inner.base_str;
        let status = resp.status();
        let retry_after = parse_retry_after(resp.headers().get(RETRY_AFTER));
        // Sized from Content-Length when the server sends one: a listing of 100,000 secrets is
        // tens of MB, and growing by doubling would hold the old and the new copy at once.
        let expected = resp.content_length().unwrap_or(0).min(MAX_ANSWER_BYTES as u64) as usize;
        let mut buf = Zeroizing::new(Vec::with_capacity(expected));
        while let Some(chunk) = resp.chunk().await.map_err(|e| ClientError::from_transport(base, &e))? {
            if buf.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(too_large(status));
            }
            // Grow by hand: a reallocation by `extend` would leave an unwiped copy behind.
            if buf.capacity() < buf.len() + chunk.len() {
                let mut bigger = Zeroizing::new(Vec::with_capacity((buf.len() + chunk.len()).max(buf.capacity() * 2)));
                bigger.extend_from_slice(&buf);
                buf = bigger;
            }
            buf.extend_from_slice(&chunk);
        }
        if status.is_success() {
            Ok(Answer { status, body: buf })
        } else {
            Err(ClientError::from_status(status, retry_after, &buf))
        }
    }
}

fn max_attempts(err: &ClientError) -> u32 {
    if matches!(err, ClientError::Timeout { .. }) {
        MAX_TIMEOUT_ATTEMPTS
    } else {
        MAX_ATTEMPTS
    }
}
