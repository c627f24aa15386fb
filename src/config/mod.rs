//! Where vaultty keeps its files, and the profiles (server URL + token) a user logs in with.
//!
//! Owns: the config and data directories (`directories`, overridden by `VAULTTY_CONFIG_DIR` and
//! `VAULTTY_DATA_DIR`), `<config>/profiles.toml`, the token files `<config>/tokens/<profile>`
//! (0600), and the environment overrides `VAULTTY_PROFILE`, `VAULTTY_URL`, `VAULTTY_TOKEN`,
//! `VAULTTY_CA_CERT`. A URL naming another server than the profile's gets neither its token nor its
//! `allow_insecure_http` nor its `ca_cert`.
//! Reading never writes a file.
//!
//! The environment is read once into an [`Env`], and every function has a form that takes one, so
//! that tests (and callers that already parsed flags) need not touch the process environment.

pub(crate) mod files;
mod profiles;

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;

pub use profiles::{
    DEFAULT_PROFILE, Profile, ProfileSummary, list_profiles, load_profile, load_profile_with, remove_token, same_host,
    save_profile, token_path,
};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot find a home directory to keep vaultty's files in; set VAULTTY_CONFIG_DIR and VAULTTY_DATA_DIR")]
    NoHome,
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a valid profiles file: {reason}; fix it or move it aside", .path.display())]
    Parse { path: PathBuf, reason: String },
    #[error("no profile named {name:?} ({}); create it with `vaultty login --profile {name} --url URL`", known_list(.known))]
    UnknownProfile { name: String, known: Vec<String> },
    #[error("invalid profile name {0:?}: use 1 to 64 letters, digits, '_', '-' or '.', not starting with '.'")]
    BadProfileName(String),
    #[error("invalid vault URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("{} can be read by other users, so vaultty will not use it; run `chmod 600 {}`", .0.display(), .0.display())]
    TooOpen(PathBuf),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "there are no profiles yet".to_owned()
    } else {
        format!("known: {}", known.join(", "))
    }
}

/// The process environment vaultty reads, captured once. Empty variables count as unset.
#[derive(Clone, Default)]
pub struct Env {
    /// `VAULTTY_CONFIG_DIR`
    pub config_dir: Option<PathBuf>,
    /// `VAULTTY_DATA_DIR`
    pub data_dir: Option<PathBuf>,
    /// `VAULTTY_PROFILE`
    pub profile: Option<String>,
    /// `VAULTTY_URL`
    pub url: Option<String>,
    /// `VAULTTY_TOKEN`
    pub token: Option<SecretString>,
    /// `VAULTTY_CA_CERT`: a PEM file of CA certificates trusted on top of the system's roots.
    pub ca_cert: Option<PathBuf>,
}

impl Env {
    pub fn from_process() -> Env {
        fn os(name: &str) -> Option<OsString> {
            std::env::var_os(name).filter(|v| !v.is_empty())
        }
        fn text(name: &str) -> Option<String> {
            os(name)
                .and_then(|v| v.into_string().ok())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        }
        Env {
            config_dir: os("VAULTTY_CONFIG_DIR").map(PathBuf::from),
            data_dir: os("VAULTTY_DATA_DIR").map(PathBuf::from),
            profile: text("VAULTTY_PROFILE"),
            url: text("VAULTTY_URL"),
            token: text("VAULTTY_TOKEN").map(SecretString::from),
            ca_cert: os("VAULTTY_CA_CERT").map(PathBuf::from),
        }
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("config_dir", &self.config_dir)
            .field("data_dir", &self.data_dir)
            .field("profile", &self.profile)
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "****"))
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

/// vaultty's directories. Nothing is created until something is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Profiles and token files.
    pub config_dir: PathBuf,
    /// The embedded local vault (database, master key).
    pub data_dir: PathBuf,
}

impl Paths {
    /// The directories from `directories`, each overridden by its environment variable.
    pub fn resolve(env: &Env) -> Result<Paths, ConfigError> {
        let dirs = || directories::ProjectDirs::from("dev", "vaultty", "vaultty");
        let config_dir = match &env.config_dir {
            Some(d) => d.clone(),
            None => dirs().ok_or(ConfigError::NoHome)?.config_dir().to_path_buf(),
        };
        let data_dir = match &env.data_dir {
            Some(d) => d.clone(),
            None => dirs().ok_or(ConfigError::NoHome)?.data_dir().to_path_buf(),
        };
        Ok(Paths { config_dir, data_dir })
    }

    pub fn profiles_file(&self) -> PathBuf {
        self.config_dir.join("profiles.toml")
    }
}

/// The directories for this process's environment.
pub fn paths() -> Result<Paths, ConfigError> {
    Paths::resolve(&Env::from_process())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_overrides_win() {
        let env = Env {
            config_dir: Some("/tmp/c".into()),
            data_dir: Some("/tmp/d".into()),
            ..Env::default()
        };
        let p = Paths::resolve(&env).unwrap();
        assert_eq!(p.config_dir, PathBuf::from("/tmp/c"));
        assert_eq!(p.data_dir, PathBuf::from("/tmp/d"));
        assert_eq!(p.profiles_file(), PathBuf::from("/tmp/c/profiles.toml"));
    }

    #[test]
    fn debug_masks_the_token() {
        let env = Env {
            token: Some(SecretString::from("vt_abcdefsecret")),
            ..Env::default()
        };
        let dbg = format!("{env:?}");
        assert!(dbg.contains("****") && !dbg.contains("abcdef"), "{dbg}");
    }
}
