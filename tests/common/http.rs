//! Raw HTTP against a test server, for what the typed client will not send (malformed bodies,
//! missing or wrong headers) and for reading answers the client would turn into errors.
//!
//! `api.post("/v1/secrets").token(&t).json(&body).send().await` gives `(status, body as JSON)`.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// The server's base URL and one HTTP connection pool.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub fn get(&self, path: &str) -> Call {
        self.call(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call {
        self.call(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Call {
        self.call(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> Call {
        self.call(Method::DELETE, path)
    }

    /// Any method, for the ones the shortcuts above do not cover (a 405 check sends OPTIONS).
    pub fn call(&self, method: Method, path: &str) -> Call {
        Call {
            what: format!("{method} {path}"),
            req: self.http.request(method, format!("{}{path}", self.base)),
        }
    }
}

/// One request being built.
pub struct Call {
    /// `POST /v1/secrets`, for failure messages.
    what: String,
    req: reqwest::RequestBuilder,
}

/// An answer read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Call {
    /// `Authorization: Bearer <token>`.
    pub fn token(self, token: &SecretString) -> Call {
        self.header("authorization", &format!("Bearer {}", token.expose_secret()))
    }

    pub fn header(self, name: &str, value: &str) -> Call {
        Call {
            req: self.req.header(name, value),
            ..self
        }
    }

    /// A JSON body (and its content type).
    pub fn json(self, body: &Value) -> Call {
        Call {
            req: self.req.json(body),
            ..self
        }
    }

    /// A body sent as it is, with no content type unless one is set by `header`.
    pub fn body(self, raw: &str) -> Call {
        Call {
            req: self.req.body(raw.to_owned()),
            ..self
        }
    }

    /// The status and the body as JSON (`Null` when the body is empty).
    pub async fn send(self) -> (StatusCode, Value) {
        let what = self.what.clone();
        let answer = self.send_text().await;
        let body = if answer.text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&answer.text)
                .unwrap_or_else(|e| panic!("{what}: the body is not JSON ({e}): {}", answer.text))
        };
        (answer.status, body)
    }

    /// The status, the headers and the body as text.
    pub async fn send_text(self) -> Answer {
        let res = self.req.send().await.unwrap_or_else(|e| panic!("{}: {e}", self.what));
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_else(|e| panic!("{}: {e}", self.what));
        Answer { status, headers, text }
    }
}
