//! `ClientError`: what went wrong with a call, told apart so that the CLI can pick an exit code and
//! the TUI a message, and turned into one line a user can act on.
//!
//! No variant ever carries a token or a value: server messages never contain them (docs/API.md), and
//! transport errors are reduced to their cause (no request body, no headers).

use std::error::Error as _;
use std::time::Duration;

use reqwest::StatusCode;

use crate::api::{ErrorBody, ErrorCode, FailureClass};

pub type ClientResult<T> = Result<T, ClientError>;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connection refused, DNS failure, TLS failure: no HTTP answer at all.
    #[error("cannot reach the vault at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The TLS handshake failed on the server's certificate: not trusted, expired, another name.
    /// Not retried: asking again gets the same certificate.
    #[error("cannot reach the vault at {url}: {problem}")]
    Certificate { url: String, problem: String },
    #[error("the vault at {url} did not answer in time; check that the server is up and the network path to it")]
    Timeout { url: String },
    #[error("unauthorized: {0} (check the token, or log in again with `vaultty login`)")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{}", conflict_line(.message, *.current_version))]
    Conflict {
        message: String,
        current_version: Option<i64>,
    },
    #[error("rate limited by the vault: try again in {} s", .retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// 400 or 422, with the server's message.
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("too large: {0}")]
    PayloadTooLarge(String),
    #[error(
        "refusing to send a token over plain http:// to {url}, which is not this machine: use an \
         https:// URL, or pass --allow-insecure-http (or set allow_insecure_http = true in the profile)"
    )]
    InsecureHttp { url: String },
    /// Any other status, or an answer this client cannot read.
    #[error("the vault answered HTTP {status}: {message}")]
    Server { status: u16, message: String },
    /// A bad base URL or another local mistake; the message says which.
    #[error("{0}")]
    Config(String),
}

fn conflict_line(message: &str, current: Option<i64>) -> String {
    match current {
        Some(v) => format!("conflict: {message} (the stored version is now {v})"),
        None => format!("conflict: {message}"),
    }
}

impl ClientError {
    pub fn class(&self) -> FailureClass {
        match self {
            ClientError::Unreachable { .. } | ClientError::Timeout { .. } | ClientError::Certificate { .. } => {
                FailureClass::Unreachable
            }
            ClientError::Unauthorized(_) => FailureClass::Unauthorized,
            ClientError::Forbidden(_) => FailureClass::Forbidden,
            ClientError::NotFound(_) => FailureClass::NotFound,
            ClientError::Conflict { current_version, .. } => FailureClass::Conflict {
                current_version: *current_version,
            },
            ClientError::RateLimited { .. } => FailureClass::RateLimited,
            ClientError::Invalid(_) | ClientError::PayloadTooLarge(_) => FailureClass::Invalid,
            ClientError::InsecureHttp { .. } | ClientError::Config(_) => FailureClass::Usage,
            ClientError::Server { .. } => FailureClass::Server,
        }
    }

    /// The failure in words for a screen that already shows its class and which vault it called:
    /// the server's own words where the class says the rest, the reason an unreachable vault gave,
    /// and the full line (`Display`) otherwise.
    pub fn brief(&self) -> String {
        match self {
            ClientError::Unreachable { reason, .. } => reason.clone(),
            ClientError::Certificate { problem, .. } => problem.clone(),
            ClientError::Timeout { .. } => "no answer in time".to_owned(),
            ClientError::Forbidden(m) | ClientError::NotFound(m) | ClientError::Invalid(m) => m.clone(),
            ClientError::Conflict { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// True for the failures a retried idempotent read may get past.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            ClientError::Unreachable { .. }
                | ClientError::Timeout { .. }
                | ClientError::Server { status: 502..=504, .. }
        )
    }

    /// Maps a non-2xx answer to a variant. `body` is the raw answer; when it is the API's error
    /// body its message is used, otherwise the status's reason phrase (a proxy's HTML page is not
    /// worth showing).
    pub(crate) fn from_status(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> Self {
        let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
        let message = parsed.as_ref().map_or_else(
            || status.canonical_reason().unwrap_or("unexpected answer").to_owned(),
            |b| one_line(&b.error.message),
        );
        let current_version = parsed.as_ref().and_then(|b| b.error.current_version);
        match status.as_u16() {
            401 => ClientError::Unauthorized(message),
            403 => ClientError::Forbidden(message),
            404 => ClientError::NotFound(message),
            409 => ClientError::Conflict {
                message,
                current_version,
            },
            413 => ClientError::PayloadTooLarge(message),
            // Without the header, a short wait is a better guess than none.
            429 => ClientError::RateLimited {
                retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
            },
            400 | 422 => ClientError::Invalid(message),
            // A server that sends a known code with another status is still understood.
            code => match parsed.map(|b| b.error.code) {
                Some(ErrorCode::Unauthorized) => ClientError::Unauthorized(message),
                Some(ErrorCode::Forbidden) => ClientError::Forbidden(message),
                Some(ErrorCode::NotFound) => ClientError::NotFound(message),
                _ => ClientError::Server { status: code, message },
            },
        }
    }

    /// Maps a transport failure (no usable answer) for the vault at `url`.
    pub(crate) fn from_transport(url: &str, err: &reqwest::Error) -> Self {
        if err.is_timeout() {
            return ClientError::Timeout { url: url.to_owned() };
        }
        if err.is_builder() {
            return ClientError::Config(format!("cannot build a request to {url}: {}", root_cause(err)));
        }
        if let Some(problem) = certificate_problem(err) {
            return ClientError::Certificate {
                url: url.to_owned(),
                problem,
            };
        }
        if err.is_connect() || err.is_request() {
            return ClientError::Unreachable {
                url: url.to_owned(),
                reason: transport_reason(err),
            };
        }
        // The connection broke while the answer was being read.
        ClientError::Unreachable {
            url: url.to_owned(),
            reason: format!("the connection broke: {}", root_cause(err)),
        }
    }
}

/// The server's certificate refused during the handshake, in words, when that is why `err` failed.
/// hyper-rustls hands rustls's error over inside an `io::Error` (itself inside another), and an
/// `io::Error`'s `source()` skips the error it wraps: hence the look inside each one.
fn certificate_problem(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(err);
    while let Some(e) = next {
        let mut inner = e;
        while let Some(wrapped) = inner.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            inner = wrapped;
        }
        if let Some(rustls::Error::InvalidCertificate(c)) = inner.downcast_ref::<rustls::Error>() {
            return Some(describe_certificate_error(c));
        }
        next = e.source();
    }
    None
}

/// Where to give a client the CA, said in every "not trusted" message.
const CA_HINT: &str = "pass the CA's certificate with --ca-cert PEM, VAULTTY_CA_CERT or the profile's ca_cert";

fn describe_certificate_error(e: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match e {
        C::UnknownIssuer => format!("the server's certificate is not signed by a trusted CA ({CA_HINT})"),
        C::Expired | C::ExpiredContext { .. } => {
            "the server's certificate has expired; the server needs a new one".to_owned()
        }
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet; check this machine's clock".to_owned()
        }
        C::NotValidForNameContext { expected, presented } => format!(
            "the server's certificate is for another name ({}), not {}; use the address it was made for",
            one_line(&presented.iter().map(|n| bare_name(n)).collect::<Vec<_>>().join(", ")),
            one_line(&expected.to_str())
        ),
        C::NotValidForName => {
            "the server's certificate is for another name; use the address it was made for".to_owned()
        }
        C::Revoked => "the server's certificate has been revoked".to_owned(),
        other => format!(
            "the server's certificate was refused ({})",
            one_line(&format!("{other:?}"))
        ),
    }
}

/// rustls writes a certificate's names as `DnsName("host")` or `IpAddress(10.0.0.1)`: the name alone.
fn bare_name(presented: &str) -> &str {
    match (presented.find('('), presented.rfind(')')) {
        (Some(open), Some(close)) if open < close => presented[open + 1..close].trim_matches('"'),
        _ => presented,
    }
}

/// Parses `Retry-After` as delay-seconds (the form the server sends); an HTTP date is ignored.
pub(crate) fn parse_retry_after(value: Option<&reqwest::header::HeaderValue>) -> Option<Duration> {
    let secs = value?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(secs))
}

/// The reason a connection failed, as a short phrase with a hint where one helps.
fn transport_reason(err: &reqwest::Error) -> String {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            match io.kind() {
                ConnectionRefused => {
                    return "connection refused (is `vaultty serve` running?)".into();
                }
                ConnectionReset | ConnectionAborted => return "the connection was reset".into(),
                HostUnreachable | NetworkUnreachable => return "no route to the host".into(),
                AddrNotAvailable => return "the address is not available".into(),
                _ => {}
            }
        }
        source = e.source();
    }
    let cause = root_cause(err);
    let lower = cause.to_lowercase();
    if lower.contains("lookup") || lower.contains("resolve") || lower.contains("name or service") || err.is_dns() {
        format!("cannot resolve the host name ({cause})")
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        format!("TLS failed: {cause}")
    } else {
        cause
    }
}

/// The innermost error message, on one line: reqwest's outer layers only say "error sending
/// request", which tells a user nothing.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = err;
    while let Some(next) = last.source() {
        last = next;
    }
    one_line(&last.to_string())
}

fn one_line(text: &str) -> String {
    const MAX: usize = 300;
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > MAX {
        let cut: String = joined.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_certificate_is_named_in_words() {
        use rustls::CertificateError as C;
        let unknown = describe_certificate_error(&C::UnknownIssuer);
        assert!(
            unknown.contains("not signed by a trusted CA") && unknown.contains("--ca-cert"),
            "{unknown}"
        );
        assert!(describe_certificate_error(&C::Expired).contains("has expired"));
        let other_name = describe_certificate_error(&C::NotValidForNameContext {
            expected: rustls_pki_types::ServerName::try_from("vault.example.com").unwrap(),
            presented: vec![r#"DnsName("other.example")"#.into(), "IpAddress(10.0.0.1)".into()],
        });
        assert!(
            other_name.contains("for another name (other.example, 10.0.0.1), not vault.example.com"),
            "{other_name}"
        );
    }

    fn body(code: &str, msg: &str, current: Option<i64>) -> Vec<u8> {
        let mut v = serde_json::json!({"error": {"code": code, "message": msg}});
        if let Some(c) = current {
            v["error"]["current_version"] = c.into();
        }
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn statuses_map_to_variants() {
        let e = ClientError::from_status(StatusCode::UNAUTHORIZED, None, &body("unauthorized", "bad token", None));
        assert!(matches!(&e, ClientError::Unauthorized(m) if m == "bad token"), "{e:?}");
        let e = ClientError::from_status(StatusCode::FORBIDDEN, None, &body("forbidden", "no", None));
        assert!(matches!(e, ClientError::Forbidden(_)));
        let e = ClientError::from_status(StatusCode::NOT_FOUND, None, &body("not_found", "no such secret", None));
        assert!(matches!(e, ClientError::NotFound(_)));
        let e = ClientError::from_status(StatusCode::CONFLICT, None, &body("conflict", "changed", Some(4)));
        assert!(
            matches!(
                e,
                ClientError::Conflict {
                    current_version: Some(4),
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("now 4"), "{e}");
        let e = ClientError::from_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            &body("invalid_request", "bad name", None),
        );
        assert!(matches!(&e, ClientError::Invalid(m) if m == "bad name"));
        let e = ClientError::from_status(StatusCode::BAD_REQUEST, None, b"");
        assert!(matches!(e, ClientError::Invalid(_)));
        let e = ClientError::from_status(StatusCode::PAYLOAD_TOO_LARGE, None, b"");
        assert!(matches!(e, ClientError::PayloadTooLarge(_)));
        let e = ClientError::from_status(StatusCode::BAD_GATEWAY, None, b"<html>\n<h1>nginx</h1>");
        assert!(
            matches!(&e, ClientError::Server { status: 502, message } if message == "Bad Gateway"),
            "{e:?}"
        );
        assert!(e.is_transient());
        let e = ClientError::from_status(StatusCode::INTERNAL_SERVER_ERROR, None, &body("internal", "oops", None));
        assert!(matches!(e, ClientError::Server { status: 500, .. }));
        assert!(!e.is_transient());
    }

    /// The classes both front ends decide on, and the short words the TUI shows beside them.
    #[test]
    fn each_error_has_one_class_and_a_brief_line() {
        let url = || "http://127.0.0.1:1".to_owned();
        let cases = [
            (
                ClientError::Unreachable {
                    url: url(),
                    reason: "connection refused".into(),
                },
                FailureClass::Unreachable,
                "connection refused",
            ),
            (
                ClientError::Timeout { url: url() },
                FailureClass::Unreachable,
                "no answer in time",
            ),
            (
                ClientError::Forbidden("admins only".into()),
                FailureClass::Forbidden,
                "admins only",
            ),
            (
                ClientError::NotFound("no such secret".into()),
                FailureClass::NotFound,
                "no such secret",
            ),
            (
                ClientError::Invalid("bad name".into()),
                FailureClass::Invalid,
                "bad name",
            ),
            (
                ClientError::Conflict {
                    message: "changed".into(),
                    current_version: Some(3),
                },
                FailureClass::Conflict {
                    current_version: Some(3),
                },
                "changed",
            ),
            (
                ClientError::PayloadTooLarge("value over 64 KiB".into()),
                FailureClass::Invalid,
                "too large: value over 64 KiB",
            ),
            (
                ClientError::RateLimited {
                    retry_after: Duration::from_secs(2),
                },
                FailureClass::RateLimited,
                "rate limited by the vault: try again in 2 s",
            ),
            (ClientError::Config("bad URL".into()), FailureClass::Usage, "bad URL"),
            (
                ClientError::Server {
                    status: 500,
                    message: "oops".into(),
                },
                FailureClass::Server,
                "the vault answered HTTP 500: oops",
            ),
        ];
        for (e, class, brief) in cases {
            assert_eq!((e.class(), e.brief().as_str()), (class, brief), "{e:?}");
        }
        let e = ClientError::Unauthorized("expired".into());
        assert_eq!(e.class(), FailureClass::Unauthorized);
        assert!(e.brief().contains("vaultty login"), "the hint stays: {}", e.brief());
        let e = ClientError::InsecureHttp { url: url() };
        assert_eq!((e.class(), e.brief()), (FailureClass::Usage, e.to_string()));
    }

    #[test]
    fn rate_limit_reads_retry_after_seconds() {
        let hv = reqwest::header::HeaderValue::from_static("7");
        let wait = parse_retry_after(Some(&hv));
        let e = ClientError::from_status(
            StatusCode::TOO_MANY_REQUESTS,
            wait,
            &body("rate_limited", "slow down", None),
        );
        assert!(matches!(e, ClientError::RateLimited { retry_after } if retry_after == Duration::from_secs(7)));
        assert!(e.to_string().contains("7 s"), "{e}");
        let date = reqwest::header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(Some(&date)), None);
    }

    #[test]
    fn messages_are_one_line() {
        let e = ClientError::from_status(
            StatusCode::NOT_FOUND,
            None,
            &body("not_found", "no\nsuch\n  secret", None),
        );
        assert_eq!(e.to_string(), "not found: no such secret");
        let e = ClientError::InsecureHttp {
            url: "http://vault.example.com".into(),
        };
        let msg = e.to_string();
        assert!(
            !msg.contains('\n') && msg.contains("https://") && msg.contains("--allow-insecure-http"),
            "{msg}"
        );
    }
}
