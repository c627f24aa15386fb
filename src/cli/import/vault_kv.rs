//! Reading a KV version 2 mount of HashiCorp Vault or OpenBao over its HTTP API: one entry
//! (`GET /v1/{mount}/data/{path}`), or with `recursive` every entry under a folder too
//! (`GET /v1/{mount}/metadata/{path}/?list=true`, keys ending in `/` being folders).
//!
//! The token travels only in the `X-Vault-Token` header (marked sensitive) and is never part of a
//! message: the server's own error text is shown, which Vault never fills with the token. Values
//! become [`SecretString`]s as they are decoded; everything else in an answer is left as is.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::cli::{CliError, CliResult, ExitClass};

/// A KV read or list is small: a server that takes longer is stuck, not busy.
const TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A walk that finds more entries than this is stopped rather than run for hours: import a
/// narrower --path.
const MAX_ENTRIES: usize = 10_000;

/// Where in Vault: a mount and a path inside it, both without leading or trailing slashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvPath {
    pub mount: String,
    pub path: String,
}

impl KvPath {
    /// `--path secret/app` is mount `secret`, path `app`: Vault's own CLI reads `bao kv get
    /// secret/app` the same way when the mount has no slash, which is the usual case. A mount with
    /// a slash in it (`team/kv`) is named with `--mount`, and `--path` is then inside it.
    pub fn parse(path: &str, mount: Option<&str>) -> Result<KvPath, String> {
        let path = path.trim_matches('/');
        let (mount, path) = match mount {
            Some(m) => (m.trim_matches('/'), path),
            None => path.split_once('/').unwrap_or((path, "")),
        };
        if mount.is_empty() {
            return Err("which KV mount? --path starts with it (secret/app), or pass --mount".into());
        }
        let bad = |s: &str| s.is_empty() || s == "." || s == "..";
        if mount.split('/').any(bad) || (!path.is_empty() && path.split('/').any(bad)) {
            return Err(format!(
                "--path {mount}/{path}: empty, `.` and `..` segments are refused"
            ));
        }
        Ok(KvPath {
            mount: mount.to_owned(),
            path: path.to_owned(),
        })
    }

    fn child(&self, key: &str) -> KvPath {
        let key = key.trim_end_matches('/');
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.path)
        };
        KvPath {
            mount: self.mount.clone(),
            path,
        }
    }
}

impl fmt::Display for KvPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}/", self.mount)
        } else {
            write!(f, "{}/{}", self.mount, self.path)
        }
    }
}

/// One value of a KV entry: text, or what else the JSON held (reported, never imported).
pub enum KvValue {
    Text(SecretString),
    Other(&'static str),
}

/// An entry's keys and values, in key order.
pub type KvData = BTreeMap<String, KvValue>;

/// What a walk found: the entries, and those listed whose latest version is deleted or
/// destroyed (nothing to read, but the user should hear of them).
#[derive(Default)]
pub struct Found {
    pub entries: Vec<(KvPath, KvData)>,
    pub deleted: Vec<KvPath>,
}

pub struct KvReader {
    http: reqwest::Client,
    base: Url,
}

impl KvReader {
    /// Plain http:// to another machine would carry the token in clear: refused unless
    /// `allow_insecure_http`, as for vaultty's own server. `VAULT_CACERT` or `BAO_CACERT` names a
    /// CA (PEM) to trust on top of the system's, as Vault's own CLI reads them.
    pub fn new(url: &str, token: &SecretString, allow_insecure_http: bool) -> CliResult<KvReader> {
        let base = crate::client::parse_base_url(url)?;
        let loopback = crate::client::is_loopback(&base);
        if base.scheme() == "http" && !loopback && !allow_insecure_http {
            return Err(CliError::usage(format!(
                "refusing to send the Vault token over plain http:// to {}; use https://, or pass \
                 --allow-insecure-http if this network is trusted",
                base.host_str().unwrap_or_default()
            )));
        }
        let mut value = HeaderValue::from_str(token.expose_secret().trim())
            .map_err(|_| CliError::invalid("the Vault token holds characters a header cannot carry"))?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("X-Vault-Token", value);
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("vaultty-import/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect could carry the token header to another host.
            .redirect(reqwest::redirect::Policy::none());
        if loopback {
            builder = builder.no_proxy();
        }
        let ca = ["VAULT_CACERT", "BAO_CACERT"].iter().find_map(std::env::var_os);
        if let Some(path) = ca {
            builder = builder.tls_certs_merge(crate::client::read_ca_certs(std::path::Path::new(&path))?);
        }
        let http = builder
            .build()
            .map_err(|e| CliError::other(format!("cannot set up the HTTP client: {e}")))?;
        Ok(KvReader { http, base })
    }

    /// The entry at `at`, and with `recursive` every entry in the folders under it. An `at` that
    /// is neither is NotFound.
    pub async fn collect(&self, at: &KvPath, recursive: bool) -> CliResult<Found> {
        let mut found = Found::default();
        if !at.path.is_empty() {
            match self.read(at).await? {
                Some(data) => found.entries.push((at.clone(), data)),
                None if !recursive => {
                    return Err(CliError::not_found(format!(
                        "no KV entry at {at} on {} (a folder? add --recursive; only KV version 2 \
                         mounts are read)",
                        self.base_url()
                    )));
                }
                None => {}
            }
        }
        if recursive {
            let mut folders = vec![at.clone()];
            while let Some(folder) = folders.pop() {
                for key in self.list(&folder).await? {
                    if key.ends_with('/') {
                        folders.push(folder.child(&key));
                        continue;
                    }
                    if found.entries.len() + found.deleted.len() >= MAX_ENTRIES {
                        return Err(CliError::invalid(format!(
                            "more than {MAX_ENTRIES} entries under {at}: import a narrower --path"
                        )));
                    }
                    let entry = folder.child(&key);
                    match self.read(&entry).await? {
                        Some(data) => found.entries.push((entry, data)),
                        None => found.deleted.push(entry),
                    }
                }
            }
            if found.entries.is_empty() && found.deleted.is_empty() {
                return Err(CliError::not_found(format!(
                    "no KV entry at or under {at} on {} (only KV version 2 mounts are read)",
                    self.base_url()
                )));
            }
        }
        // The walk goes depth first, last folder first; the report reads best in path order.
        found.entries.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        found.deleted.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(found)
    }

    /// The latest version's data; `None` when there is none to read (no such entry, or its latest
    /// version deleted or destroyed: Vault answers 404 for both).
    async fn read(&self, at: &KvPath) -> CliResult<Option<KvData>> {
        #[derive(Deserialize)]
        struct Answer {
            data: Option<Inner>,
        }
        #[derive(Deserialize)]
        struct Inner {
            data: Option<BTreeMap<String, KvValue>>,
        }
        let url = self.url(&at.mount, "data", &at.path, false);
        let Some(body) = self.get(url, at).await? else {
            return Ok(None);
        };
        // serde's message is left out: it may quote a string of the body, a value perhaps.
        let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
            CliError::other(format!(
                "{at}: not a KV version 2 answer; is {} a KV v2 mount?",
                at.mount
            ))
        })?;
        Ok(answer.data.and_then(|d| d.data))
    }

    /// The keys of a folder (`name/` for a subfolder); none when it is empty or absent.
    async fn list(&self, at: &KvPath) -> CliResult<Vec<String>> {
        #[derive(Deserialize)]
        struct Answer {
            data: Keys,
        }
        #[derive(Deserialize)]
        struct Keys {
            keys: Vec<String>,
        }
        let url = self.url(&at.mount, "metadata", &at.path, true);
        let Some(body) = self.get(url, at).await? else {
            return Ok(Vec::new());
        };
        // serde's message is left out: it may quote a string of the body, a value perhaps.
        let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
            CliError::other(format!(
                "{at}: not a KV version 2 listing; is {} a KV v2 mount?",
                at.mount
            ))
        })?;
        Ok(answer.data.keys)
    }

    /// `{base}/v1/{mount}/{kind}/{path}`, each segment escaped; a list asks for the folder
    /// (trailing slash) with `?list=true`, which Vault takes as its LIST verb.
    fn url(&self, mount: &str, kind: &str, path: &str, list: bool) -> Url {
        let mut url = self.base.clone();
        {
            // `parse_base_url` accepted only http(s) URLs with a host, which can have segments.
            let Ok(mut segments) = url.path_segments_mut() else {
                return url;
            };
            segments.pop_if_empty().push("v1");
            segments.extend(mount.split('/')).push(kind);
            if !path.is_empty() {
                segments.extend(path.split('/'));
            }
            if list {
                segments.push("");
            }
        }
        if list {
            url.set_query(Some("list=true"));
        }
        url
    }

    /// The body of a 2xx answer, `None` for 404, and a one-line error for the rest.
    async fn get(&self, url: Url, at: &KvPath) -> CliResult<Option<Vec<u8>>> {
        let answer = self.http.get(url).send().await.map_err(|e| {
            let class = if e.is_timeout() || e.is_connect() {
                ExitClass::Unreachable
            } else {
                ExitClass::Other
            };
            CliError::new(class, format!("cannot reach {}: {}", self.base_url(), causes(e)))
        })?;
        let status = answer.status();
        let body = answer
            .bytes()
            .await
            .map_err(|e| CliError::new(ExitClass::Unreachable, format!("{}: {}", self.base_url(), causes(e))))?;
        if status.is_success() {
            return Ok(Some(body.to_vec()));
        }
        let said = vault_errors(&body);
        // A missing entry (or a deleted latest version) is a 404 that says nothing; a 404 that
        // says something is about the route: no such mount, or not a KV v2 one.
        if status == StatusCode::NOT_FOUND && said.is_empty() {
            return Ok(None);
        }
        Err(refusal(status, &said, at, self.base_url()))
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }
}

/// reqwest's error and its causes ("error sending request" alone says little), without the URL:
/// the message names the server once, in our words.
fn causes(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Vault's `{"errors": [...]}`, joined, cut to a line's worth.
fn vault_errors(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<String>,
    }
    let text = match serde_json::from_slice::<Errors>(body) {
        Ok(e) if !e.errors.is_empty() => e.errors.join("; "),
        _ => String::new(),
    };
    text.chars().take(300).collect()
}

fn refusal(status: StatusCode, said: &str, at: &KvPath, base: &str) -> CliError {
    let said = if said.is_empty() {
        status.to_string()
    } else {
        format!("{status}: {said}")
    };
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => CliError::new(
            ExitClass::Denied,
            format!(
                "{base} refused the Vault token for {at} ({said}): a wrong or expired token, or a \
                 policy without read and list on it"
            ),
        ),
        StatusCode::SERVICE_UNAVAILABLE if said.contains("sealed") => CliError::new(
            ExitClass::Unreachable,
            format!("{base} is sealed ({said}): unseal it and run the import again"),
        ),
        StatusCode::NOT_FOUND => CliError::not_found(format!(
            "{base} answered for {at}: {said} (is `{}` a KV version 2 mount? --mount names one)",
            at.mount
        )),
        StatusCode::TOO_MANY_REQUESTS => CliError::new(ExitClass::RateLimited, format!("{base} ({at}): {said}")),
        _ => CliError::other(format!("{base} answered for {at}: {said}")),
    }
}

impl<'de> Deserialize<'de> for KvValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// Keeps a string as a secret from the moment it is decoded; for anything else only its kind.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = KvValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<KvValue, E> {
        Ok(KvValue::Text(SecretString::from(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<KvValue, E> {
        Ok(KvValue::Text(SecretString::from(v)))
    }
    fn visit_bool<E>(self, _: bool) -> Result<KvValue, E> {
        Ok(KvValue::Other("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<KvValue, E> {
        Ok(KvValue::Other("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<KvValue, E> {
        Ok(KvValue::Other("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<KvValue, E> {
        Ok(KvValue::Other("a number"))
    }
    fn visit_unit<E>(self) -> Result<KvValue, E> {
        Ok(KvValue::Other("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KvValue, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(KvValue::Other("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KvValue, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(KvValue::Other("an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(mount: &str, path: &str) -> KvPath {
        KvPath {
            mount: mount.into(),
            path: path.into(),
        }
    }

    #[test]
    fn the_first_segment_is_the_mount_unless_one_is_given() {
        assert_eq!(KvPath::parse("secret/app", None), Ok(kv("secret", "app")));
        assert_eq!(KvPath::parse("/secret/app/db/", None), Ok(kv("secret", "app/db")));
        assert_eq!(KvPath::parse("secret", None), Ok(kv("secret", "")));
        assert_eq!(KvPath::parse("app/db", Some("team/kv/")), Ok(kv("team/kv", "app/db")));
        assert!(KvPath::parse("", None).is_err());
        assert!(KvPath::parse("secret//app", None).is_err());
        assert!(KvPath::parse("secret/../sys", None).is_err());
    }

    #[test]
    fn urls_escape_each_segment() {
        let r = KvReader::new("http://127.0.0.1:8200/", &SecretString::from("t".to_owned()), false).unwrap();
        assert_eq!(
            r.url("secret", "data", "my app/x?y", false).as_str(),
            "http://127.0.0.1:8200/v1/secret/data/my%20app/x%3Fy"
        );
        assert_eq!(
            r.url("secret", "metadata", "", true).as_str(),
            "http://127.0.0.1:8200/v1/secret/metadata/?list=true"
        );
        assert_eq!(
            r.url("secret", "metadata", "a/b", true).as_str(),
            "http://127.0.0.1:8200/v1/secret/metadata/a/b/?list=true"
        );
    }

    #[test]
    fn plain_http_to_another_machine_is_refused() {
        let t = SecretString::from("t".to_owned());
        assert!(KvReader::new("http://vault.example.com", &t, false).is_err());
        assert!(KvReader::new("http://vault.example.com", &t, true).is_ok());
    }

    #[test]
    fn strings_are_kept_and_other_values_named() {
        let data: KvData = serde_json::from_str(r#"{"A":"x","B":1,"C":{"d":[1]},"D":null,"E":true,"F":[]}"#).unwrap();
        let kinds: Vec<_> = data
            .iter()
            .map(|(k, v)| match v {
                KvValue::Text(s) => format!("{k}={}", s.expose_secret()),
                KvValue::Other(kind) => format!("{k}:{kind}"),
            })
            .collect();
        assert_eq!(
            kinds,
            ["A=x", "B:a number", "C:an object", "D:null", "E:a boolean", "F:a list"]
        );
    }
}
