//! The typed HTTP client of the vault API, shared by the CLI and the TUI.
//!
//! Owns: building request URLs, the bearer token (never logged, never in an error), timeouts, the
//! bounded retry of idempotent reads, the refusal to send a token over plain HTTP to another
//! machine, and the mapping of answers to `api` types or a [`ClientError`]. No printing, no terminal.

mod endpoints;
mod error;
mod events;
mod stream_decode;
mod transport;

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;

// The classification lives in `api` so that `tui::app`, which may not import `client`, shares it.
pub use crate::api::FailureClass;
pub use endpoints::EnvFetch;
pub use error::{ClientError, ClientResult};
pub use events::{EventStream, ServerEvent};

/// Which program is calling; sent as the User-Agent so the audit log tells a TUI reveal from a
/// script's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Agent {
    #[default]
    Cli,
    Tui,
}

impl Agent {
    pub fn user_agent(self) -> String {
        let name = match self {
            Agent::Cli => "vaultty-cli",
            Agent::Tui => "vaultty-tui",
        };
        format!("{name}/{}", env!("CARGO_PKG_VERSION"))
    }
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub agent: Agent,
    /// Allows sending the token over plain `http://` to a host that is not loopback.
    pub allow_insecure_http: bool,
    /// Whole-request timeout (the connect timeout is shorter, see `CONNECT_TIMEOUT`).
    pub timeout: Duration,
    /// A PEM file of CA certificates trusted for `https://` on top of the system's roots (a
    /// private CA); `--ca-cert`, `VAULTTY_CA_CERT` or a profile's `ca_cert`.
    pub ca_cert: Option<PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            agent: Agent::Cli,
            allow_insecure_http: false,
            timeout: Duration::from_secs(10),
            ca_cert: None,
        }
    }
}

/// A refused connection should fail fast; a slow answer may be a slow disk on the server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A client for one vault. Cheap to clone: the connection pool and the token are shared.
#[derive(Clone)]
pub struct VaultClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// The base URL with its path ending in a `/`-free segment list; request paths extend it.
    base: Url,
    /// `base` as shown to users: no trailing slash.
    base_str: String,
    token: Option<SecretString>,
    /// `ClientOptions::timeout`, for the calls that set their own (`events`).
    timeout: Duration,
}

impl fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultClient")
            .field("base_url", &self.inner.base_str)
            .finish_non_exhaustive()
    }
}

impl VaultClient {
    /// A client for the vault at `base_url` (`http://` or `https://`, optionally with a path
    /// prefix). Fails with `InsecureHttp` when a token would go over plain HTTP to another machine
    /// and `opts.allow_insecure_http` is not set, and with `Config` for a URL that cannot be used.
    pub fn new(base_url: &str, token: Option<SecretString>, opts: ClientOptions) -> ClientResult<Self> {
        let base = parse_base_url(base_url)?;
        let base_str = base.as_str().trim_end_matches('/').to_owned();
        if token.is_some() && base.scheme() == "http" && !is_loopback(&base) && !opts.allow_insecure_http {
            return Err(ClientError::InsecureHttp { url: base_str });
        }
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static("application/json"));
        let mut builder = reqwest::Client::builder()
            .user_agent(opts.agent.user_agent())
            .default_headers(headers)
            .timeout(opts.timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(opts.timeout))
            // The API never redirects; following one could carry the token somewhere unexpected.
            .redirect(reqwest::redirect::Policy::none());
        if is_loopback(&base) {
            // A proxy from the environment has no business seeing loopback traffic or its token.
            builder = builder.no_proxy();
        }
        if base.scheme() == "http" {
            // No TLS to set up: skip loading the system's trusted roots (150-odd PEM files read and
            // parsed, most of a command's start-up). Only the base URL is ever requested.
            builder = builder.tls_certs_only(std::iter::empty());
        } else if let Some(path) = &opts.ca_cert {
            builder = builder.tls_certs_merge(read_ca_certs(path)?);
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Config(format!("cannot set up the HTTP client: {e}")))?;
        Ok(VaultClient {
            inner: Arc::new(Inner {
                http,
                base,
                base_str,
                token,
                timeout: opts.timeout,
            }),
        })
    }

    /// The vault's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_str
    }

    /// The URL of `segments` under the base, each segment percent-encoded as needed.
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> ClientResult<Url> {
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|()| ClientError::Config(format!("{} cannot be a base URL", self.inner.base_str)))?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }
}

/// The certificates of a `--ca-cert` file; a file that is missing or holds none is a usage error
/// (a typo must not fall back to the system roots alone and fail later with a vaguer message).
pub(crate) fn read_ca_certs(path: &std::path::Path) -> ClientResult<Vec<reqwest::Certificate>> {
    let bad =
        |reason: String| ClientError::Config(format!("cannot use the CA certificate {}: {reason}", path.display()));
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(format!("not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(bad("no certificate (BEGIN CERTIFICATE) in it".into()));
    }
    Ok(certs)
}

pub(crate) fn parse_base_url(text: &str) -> ClientResult<Url> {
    let text = text.trim();
    let url = Url::parse(text).map_err(|e| {
        ClientError::Config(format!(
            "invalid vault URL {text:?}: {e}; write it with its scheme, e.g. https://vault.example.com or http://127.0.0.1:8200"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ClientError::Config(format!(
            "invalid vault URL {text:?}: it must start with https:// or http:// and name a host"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ClientError::Config(format!(
            "the vault URL {}://{}… must not contain a user name or password; the token authenticates",
            url.scheme(),
            url.host_str().unwrap_or_default()
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ClientError::Config(format!(
            "the vault URL {text:?} must not have a query or a fragment"
        )));
    }
    Ok(url)
}

/// 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`: traffic that never leaves
/// this machine.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    // `host_str` writes an IPv6 address in brackets.
    match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Option<SecretString> {
        Some(SecretString::from("vt_test_token_never_shown"))
    }

    #[test]
    fn refuses_plain_http_to_another_machine() {
        for url in [
            "http://vault.example.com",
            "http://10.0.0.5:8200",
            "http://[2001:db8::1]:80",
        ] {
            let err = VaultClient::new(url, token(), ClientOptions::default()).unwrap_err();
            assert!(matches!(err, ClientError::InsecureHttp { .. }), "{url}: {err:?}");
            assert!(err.to_string().contains("--allow-insecure-http"), "{err}");
        }
        let opts = ClientOptions {
            allow_insecure_http: true,
            ..ClientOptions::default()
        };
        assert!(VaultClient::new("http://vault.example.com", token(), opts).is_ok());
        // Without a token nothing secret is sent.
        assert!(VaultClient::new("http://vault.example.com", None, ClientOptions::default()).is_ok());
    }

    #[test]
    fn allows_loopback_and_https() {
        for url in [
            "http://127.0.0.1:8200",
            "http://127.1.2.3",
            "http://localhost:9000/",
            "http://LOCALHOST",
            "http://[::1]:8200",
            "https://vault.example.com",
        ] {
            assert!(
                VaultClient::new(url, token(), ClientOptions::default()).is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn rejects_unusable_urls() {
        for url in [
            "127.0.0.1:8200",
            "localhost:8200",
            "ftp://x",
            "not a url",
            "https://u:p@host",
            "https://h/?a=1",
        ] {
            let err = VaultClient::new(url, None, ClientOptions::default()).unwrap_err();
            assert!(matches!(err, ClientError::Config(_)), "{url}: {err:?}");
            assert!(!err.to_string().contains(":p@"), "{err}");
        }
    }

    #[test]
    fn builds_encoded_urls_under_a_prefix() {
        let c = VaultClient::new("https://h.example/vault/", None, ClientOptions::default()).unwrap();
        assert_eq!(c.base_url(), "https://h.example/vault");
        let u = c
            .url(&["v1", "secrets", "A B/C"], &[("orgWide", "true".into())])
            .unwrap();
        assert_eq!(u.as_str(), "https://h.example/vault/v1/secrets/A%20B%2FC?orgWide=true");
        let c = VaultClient::new("http://127.0.0.1:1", None, ClientOptions::default()).unwrap();
        assert_eq!(c.url(&["healthz"], &[]).unwrap().as_str(), "http://127.0.0.1:1/healthz");
    }

    #[test]
    fn debug_shows_the_url_only() {
        let c = VaultClient::new("http://127.0.0.1:8200", token(), ClientOptions::default()).unwrap();
        let dbg = format!("{c:?}");
        assert!(
            dbg.contains("http://127.0.0.1:8200") && !dbg.contains("vt_test"),
            "{dbg}"
        );
    }

    #[test]
    fn user_agents_name_the_program() {
        assert!(Agent::Cli.user_agent().starts_with("vaultty-cli/"));
        assert!(Agent::Tui.user_agent().starts_with("vaultty-tui/"));
    }
}
