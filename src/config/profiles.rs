//! Profiles: `<config>/profiles.toml` holds each profile's URL and settings, `<config>/tokens/<name>`
//! its token (0600, one file per profile so a token never shares a file with anything else).
//!
//! ```toml
//! [profiles.default]
//! url = "https://vault.example.com"
//! allow_insecure_http = false
//! ca_cert = "/etc/vaultty/ca.pem"   # optional: a private CA trusted on top of the system's
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::files::{self, PrivateRead};
use super::{ConfigError, Env, Paths};

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// A server to talk to and the token to talk to it with.
#[derive(Clone)]
pub struct Profile {
    pub name: String,
    pub url: String,
    pub token: Option<SecretString>,
    pub allow_insecure_http: bool,
    /// A PEM file of CA certificates trusted for this server on top of the system's roots.
    pub ca_cert: Option<PathBuf>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "****"))
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

/// A stored profile as `vaultty profiles` lists it: never the token, only whether there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileSummary {
    pub name: String,
    pub url: String,
    pub allow_insecure_http: bool,
    pub ca_cert: Option<PathBuf>,
    pub has_token: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilesFile {
    #[serde(default)]
    profiles: BTreeMap<String, StoredProfile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredProfile {
    url: String,
    #[serde(default)]
    allow_insecure_http: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ca_cert: Option<PathBuf>,
}

/// The token file of profile `name`.
pub fn token_path(paths: &Paths, name: &str) -> PathBuf {
    paths.config_dir.join("tokens").join(name)
}

/// Profile names become file names, so they stay plain.
fn check_name(name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::BadProfileName(name.to_owned()))
    }
}

fn read_file(paths: &Paths) -> Result<ProfilesFile, ConfigError> {
    let path = paths.profiles_file();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ProfilesFile::default()),
        Err(source) => {
            return Err(ConfigError::Io {
                action: "read",
                path,
                source,
            });
        }
    };
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let reason = match line {
            Some(n) => format!("line {n}: {}", e.message()),
            None => e.message().to_owned(),
        };
        ConfigError::Parse { path, reason }
    })
}

fn read_token(paths: &Paths, name: &str) -> Result<Option<SecretString>, ConfigError> {
    let path = token_path(paths, name);
    match files::read_private_file(&path) {
        Ok(PrivateRead::Missing) => Ok(None),
        Ok(PrivateRead::TooOpen) => Err(ConfigError::TooOpen(path)),
        Ok(PrivateRead::Text(t)) => {
            let t = t.trim();
            Ok((!t.is_empty()).then(|| SecretString::from(t.to_owned())))
        }
        Err(source) => Err(ConfigError::Io {
            action: "read",
            path,
            source,
        }),
    }
}

/// Two spellings of one server (`https://h/` and `https://H:443`) compare equal.
fn same_server(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a.trim()), reqwest::Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => a.as_str().trim_end_matches('/') == b.as_str().trim_end_matches('/'),
        _ => a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/'),
    }
}

/// Whether `a` and `b` name the same host: scheme, host and port (the default port when none is
/// written), ignoring case and path. A profile's `allow_insecure_http` was granted for its own host
/// and applies only there.
pub fn same_host(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a.trim()), reqwest::Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host().is_some()
                && a.host() == b.host()
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

/// The profile to use, with this process's environment applied; see [`load_profile_with`].
pub fn load_profile(paths: &Paths, name: Option<&str>) -> Result<Option<Profile>, ConfigError> {
    load_profile_with(paths, name, &Env::from_process())
}

/// The profile to use: `name`, else `VAULTTY_PROFILE`, else `default`. `VAULTTY_URL` replaces its
/// URL and `VAULTTY_TOKEN` its token. `Ok(None)` when no profile is stored under the default name
/// and no `VAULTTY_URL` is set: the caller then uses the local vault. A named profile that does
/// not exist is an error (a typo should not silently fall back to the local vault).
///
/// The stored token is sent only to the profile's own server: when `VAULTTY_URL` points
/// elsewhere, only `VAULTTY_TOKEN` is used, so a token never leaks to a server it was not made for.
/// Likewise the stored `allow_insecure_http` holds only for the profile's own host: permission to
/// send a token over plain HTTP to one machine is not permission to send it to another. The stored
/// `ca_cert` too (a CA trusted for one server is not trusted for any other); `VAULTTY_CA_CERT`
/// replaces it.
pub fn load_profile_with(paths: &Paths, name: Option<&str>, env: &Env) -> Result<Option<Profile>, ConfigError> {
    let explicit = name.map(str::to_owned).or_else(|| env.profile.clone());
    let name = explicit.clone().unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
    check_name(&name)?;
    let file = read_file(paths)?;
    match (file.profiles.get(&name), &env.url) {
        (Some(stored), url_override) => {
            let url = url_override.clone().unwrap_or_else(|| stored.url.clone());
            let token = match &env.token {
                Some(t) => Some(t.clone()),
                None if same_server(&url, &stored.url) => read_token(paths, &name)?,
                None => None,
            };
            let allow_insecure_http = stored.allow_insecure_http && same_host(&url, &stored.url);
            let ca_cert = env
                .ca_cert
                .clone()
                .or_else(|| stored.ca_cert.clone().filter(|_| same_host(&url, &stored.url)));
            Ok(Some(Profile {
                name,
                url,
                token,
                allow_insecure_http,
                ca_cert,
            }))
        }
        (None, Some(url)) => Ok(Some(Profile {
            name,
            url: url.clone(),
            token: env.token.clone(),
            allow_insecure_http: false,
            ca_cert: env.ca_cert.clone(),
        })),
        (None, None) if explicit.is_some() => Err(ConfigError::UnknownProfile {
            name,
            known: file.profiles.keys().cloned().collect(),
        }),
        (None, None) => Ok(None),
    }
}

/// Stores `profile` (what `vaultty login` does): its URL and settings in `profiles.toml`, and its
/// token, when it has one, in its own 0600 file. Replaces a profile of the same name.
pub fn save_profile(paths: &Paths, profile: &Profile) -> Result<(), ConfigError> {
    check_name(&profile.name)?;
    let url = reqwest::Url::parse(profile.url.trim()).map_err(|e| ConfigError::BadUrl {
        url: profile.url.clone(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::BadUrl {
            url: profile.url.clone(),
            reason: "it must start with https:// or http://".into(),
        });
    }
    let mut file = read_file(paths)?;
    file.profiles.insert(
        profile.name.clone(),
        StoredProfile {
            url: profile.url.trim().trim_end_matches('/').to_owned(),
            allow_insecure_http: profile.allow_insecure_http,
            ca_cert: profile.ca_cert.clone(),
        },
    );
    let text = toml::to_string_pretty(&file).map_err(|e| ConfigError::Parse {
        path: paths.profiles_file(),
        reason: e.to_string(),
    })?;
    let tokens_dir = paths.config_dir.join("tokens");
    files::create_private_dir(&tokens_dir).map_err(|e| io_err("create", &tokens_dir, e))?;
    if let Some(token) = &profile.token {
        let path = token_path(paths, &profile.name);
        let line = zeroize::Zeroizing::new(format!("{}\n", token.expose_secret()));
        files::write_private_file(&path, line.as_bytes()).map_err(|e| io_err("write", &path, e))?;
    }
    let path = paths.profiles_file();
    files::write_private_file(&path, text.as_bytes()).map_err(|e| io_err("write", &path, e))
}

fn io_err(action: &'static str, path: &Path, source: io::Error) -> ConfigError {
    ConfigError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Removes the stored token of profile `name` (what `vaultty logout` does); the profile's URL
/// stays. `Ok(false)` when there was no token.
pub fn remove_token(paths: &Paths, name: &str) -> Result<bool, ConfigError> {
    check_name(name)?;
    let path = token_path(paths, name);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(ConfigError::Io {
            action: "remove",
            path,
            source,
        }),
    }
}

/// Every stored profile, by name.
pub fn list_profiles(paths: &Paths) -> Result<Vec<ProfileSummary>, ConfigError> {
    let file = read_file(paths)?;
    Ok(file
        .profiles
        .into_iter()
        .map(|(name, p)| ProfileSummary {
            has_token: token_path(paths, &name).is_file(),
            name,
            url: p.url,
            allow_insecure_http: p.allow_insecure_http,
            ca_cert: p.ca_cert,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("config"),
            data_dir: dir.path().join("data"),
        };
        (dir, paths)
    }

    fn profile(name: &str, url: &str, token: Option<&str>) -> Profile {
        Profile {
            name: name.into(),
            url: url.into(),
            token: token.map(SecretString::from),
            allow_insecure_http: false,
            ca_cert: None,
        }
    }

    fn all_files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                out.push(e.path());
                out.extend(all_files(&e.path()));
            }
        }
        out
    }

    #[test]
    fn round_trip_and_logout() {
        let (_d, paths) = setup();
        let mut p = profile("work", "https://vault.example.com/", Some("vt_work_token"));
        p.allow_insecure_http = true;
        save_profile(&paths, &p).unwrap();
        save_profile(&paths, &profile("default", "http://127.0.0.1:8200", Some("vt_local"))).unwrap();

        let got = load_profile_with(&paths, Some("work"), &Env::default())
            .unwrap()
            .unwrap();
        assert_eq!(got.url, "https://vault.example.com");
        assert!(got.allow_insecure_http);
        assert_eq!(got.token.unwrap().expose_secret(), "vt_work_token");
        let def = load_profile_with(&paths, None, &Env::default()).unwrap().unwrap();
        assert_eq!(def.name, "default");

        let list = list_profiles(&paths).unwrap();
        assert_eq!(
            list.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["default", "work"]
        );
        assert!(list.iter().all(|p| p.has_token));

        assert!(remove_token(&paths, "work").unwrap());
        assert!(!remove_token(&paths, "work").unwrap());
        let got = load_profile_with(&paths, Some("work"), &Env::default())
            .unwrap()
            .unwrap();
        assert!(got.token.is_none(), "logout keeps the URL but not the token");
    }

    #[cfg(unix)]
    #[test]
    fn token_files_are_0600_and_loose_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let (_d, paths) = setup();
        save_profile(&paths, &profile("default", "https://v.example", Some("vt_x"))).unwrap();
        let path = token_path(&paths, "default");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_profile_with(&paths, None, &Env::default()).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn environment_overrides() {
        let (_d, paths) = setup();
        save_profile(&paths, &profile("default", "https://a.example", Some("vt_stored"))).unwrap();
        save_profile(&paths, &profile("other", "https://b.example", None)).unwrap();

        let env = Env {
            profile: Some("other".into()),
            ..Env::default()
        };
        assert_eq!(
            load_profile_with(&paths, None, &env).unwrap().unwrap().url,
            "https://b.example"
        );
        // An explicit name beats VAULTTY_PROFILE.
        assert_eq!(
            load_profile_with(&paths, Some("default"), &env).unwrap().unwrap().url,
            "https://a.example"
        );

        let env = Env {
            token: Some(SecretString::from("vt_env")),
            ..Env::default()
        };
        let p = load_profile_with(&paths, None, &env).unwrap().unwrap();
        assert_eq!(p.token.unwrap().expose_secret(), "vt_env");

        // Same server spelled differently: the stored token still applies.
        let env = Env {
            url: Some("https://A.example:443/".into()),
            ..Env::default()
        };
        let p = load_profile_with(&paths, None, &env).unwrap().unwrap();
        assert_eq!(p.token.unwrap().expose_secret(), "vt_stored");

        // Another server: the stored token is not sent there.
        let env = Env {
            url: Some("https://evil.example".into()),
            ..Env::default()
        };
        let p = load_profile_with(&paths, None, &env).unwrap().unwrap();
        assert_eq!(p.url, "https://evil.example");
        assert!(p.token.is_none());
    }

    #[test]
    fn insecure_http_stays_with_the_profiles_host() {
        let (_d, paths) = setup();
        let mut p = profile("default", "http://vault.lan:8200", Some("vt_stored"));
        p.allow_insecure_http = true;
        save_profile(&paths, &p).unwrap();
        let with_url = |url: &str| {
            let env = Env {
                url: Some(url.into()),
                ..Env::default()
            };
            load_profile_with(&paths, None, &env)
                .unwrap()
                .unwrap()
                .allow_insecure_http
        };
        assert!(
            load_profile_with(&paths, None, &Env::default())
                .unwrap()
                .unwrap()
                .allow_insecure_http
        );
        for same in ["http://VAULT.lan:8200/", "http://vault.lan:8200/prefix"] {
            assert!(with_url(same), "{same}");
        }
        for other in [
            "http://other.lan:8200",
            "http://vault.lan:8201",
            "http://vault.lan",
            "https://vault.lan:8200",
            "http://vault.lan.evil.example:8200",
        ] {
            assert!(!with_url(other), "{other}");
        }
        assert!(same_host("http://h", "http://h:80/") && !same_host("not a url", "not a url"));
    }

    #[test]
    fn no_profile_means_local_and_unknown_names_are_errors() {
        let (_d, paths) = setup();
        assert!(load_profile_with(&paths, None, &Env::default()).unwrap().is_none());
        let err = load_profile_with(&paths, Some("nope"), &Env::default()).unwrap_err();
        assert!(matches!(err, ConfigError::UnknownProfile { .. }), "{err}");
        assert!(err.to_string().contains("vaultty login --profile nope"), "{err}");
        let env = Env {
            url: Some("http://127.0.0.1:9".into()),
            token: Some(SecretString::from("vt_e")),
            ..Env::default()
        };
        let p = load_profile_with(&paths, None, &env).unwrap().unwrap();
        assert_eq!(p.url, "http://127.0.0.1:9");
        assert!(matches!(
            load_profile_with(&paths, Some("../x"), &Env::default()),
            Err(ConfigError::BadProfileName(_))
        ));
    }

    #[test]
    fn reading_never_writes() {
        let (d, paths) = setup();
        let _ = load_profile_with(&paths, None, &Env::default()).unwrap();
        let _ = list_profiles(&paths).unwrap();
        assert!(
            all_files(d.path()).is_empty(),
            "reading created {:?}",
            all_files(d.path())
        );

        save_profile(&paths, &profile("default", "https://a.example", Some("vt_a"))).unwrap();
        let before: Vec<_> = all_files(d.path())
            .into_iter()
            .map(|p| (p.clone(), std::fs::metadata(&p).unwrap().modified().unwrap()))
            .collect();
        let _ = load_profile_with(&paths, None, &Env::default()).unwrap();
        let _ = list_profiles(&paths).unwrap();
        let after: Vec<_> = all_files(d.path())
            .into_iter()
            .map(|p| (p.clone(), std::fs::metadata(&p).unwrap().modified().unwrap()))
            .collect();
        assert_eq!(before, after);
    }

    #[test]
    fn debug_masks_the_token() {
        let p = profile("default", "https://a.example", Some("vt_supersecret"));
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("supersecret") && dbg.contains("****"), "{dbg}");
    }
}
