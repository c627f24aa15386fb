//! The local vault's files: the master key (created once, 0600, refused when others can read it),
//! the admin token written at first start, and the local user's name.

use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::LocalError;
use crate::config::files::{self, PrivateRead};
use crate::crypto::{Keyring, MasterKey};

/// How long a start waits for another process that is creating the same local vault.
const RACE_WAIT: Duration = Duration::from_secs(10);
const RACE_STEP: Duration = Duration::from_millis(50);

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LocalError + use<> {
    let path = path.to_path_buf();
    move |source| LocalError::Io { action, path, source }
}

/// The keyring of the key file at `path`, creating the file first when it does not exist. Two
/// processes creating it at once end up with the same key: the file appears complete or not at
/// all, and the loser reads the winner's.
pub(super) async fn load_or_create_key(path: &Path, database: &Path) -> Result<Keyring, LocalError> {
    if !path.exists() {
        // A database without its key cannot be opened; a fresh key would only hide the loss. The
        // key is checked again after the database: a process that just created both made the key
        // first, so a database seen here means its key is visible by now.
        if database.exists() && !path.exists() {
            return Err(LocalError::KeyMissing {
                key: path.to_path_buf(),
                database: database.to_path_buf(),
            });
        }
        let key = MasterKey::generate_base64();
        let text = Zeroizing::new(format!(
            "# vaultty local master key: it seals every value in vault.db; without it they are lost.\n{}\n",
            key.expose_secret()
        ));
        files::create_private_file(path, text.as_bytes()).map_err(io_err("create", path))?;
    }
    let deadline = tokio::time::Instant::now() + RACE_WAIT;
    loop {
        let text = match files::read_private_file(path).map_err(io_err("read", path))? {
            PrivateRead::Text(t) => t,
            PrivateRead::TooOpen => return Err(LocalError::TooOpen(path.to_path_buf())),
            PrivateRead::Missing => {
                return Err(LocalError::KeyMissing {
                    key: path.to_path_buf(),
                    database: database.to_path_buf(),
                });
            }
        };
        // Only on file systems without hard links can a key file be seen before it is written.
        let has_key = text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        if has_key || tokio::time::Instant::now() >= deadline {
            let secret = SecretString::from(text.as_str().to_owned());
            return Keyring::load(Some(&secret), &[] as &[&Path]).map_err(|e| LocalError::BadKey {
                path: path.to_path_buf(),
                reason: e.to_string(),
            });
        }
        tokio::time::sleep(RACE_STEP).await;
    }
}

/// The admin token of the local vault, or `None` when it has not been written yet.
pub(super) fn read_token(path: &Path) -> Result<Option<SecretString>, LocalError> {
    match files::read_private_file(path).map_err(io_err("read", path))? {
        PrivateRead::Missing => Ok(None),
        PrivateRead::TooOpen => Err(LocalError::TooOpen(path.to_path_buf())),
        PrivateRead::Text(t) => {
            let t = t.trim();
            Ok((!t.is_empty()).then(|| SecretString::from(t.to_owned())))
        }
    }
}

pub(super) fn write_token(path: &Path, token: &SecretString) -> Result<(), LocalError> {
    let line = Zeroizing::new(format!("{}\n", token.expose_secret()));
    files::write_private_file(path, line.as_bytes()).map_err(io_err("write", path))
}

/// Waits for another process that initialised the vault to write its token file.
pub(super) async fn wait_for_token(path: &Path, data_dir: &Path) -> Result<SecretString, LocalError> {
    let deadline = tokio::time::Instant::now() + RACE_WAIT;
    loop {
        if let Some(token) = read_token(path)? {
            return Ok(token);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(LocalError::TokenMissing {
                token: path.to_path_buf(),
                data_dir: data_dir.to_path_buf(),
            });
        }
        tokio::time::sleep(RACE_STEP).await;
    }
}

/// The local user's name: the login name, lowercased and fitted to the user-name rule
/// `^[a-z][a-z0-9_.-]{0,63}$`, or `me` when nothing usable is left.
pub(super) fn local_user_name(login: Option<&str>) -> String {
    let fitted: String = login
        .unwrap_or_default()
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .skip_while(|c| !c.is_ascii_lowercase())
        .take(64)
        .collect();
    if crate::api::validate::user_name(&fitted).is_ok() {
        fitted
    } else {
        "me".to_owned()
    }
}

/// `$USER`, or its equivalents elsewhere.
pub(super) fn login_name() -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_fitted_to_the_rule() {
        assert_eq!(local_user_name(Some("alice")), "alice");
        assert_eq!(local_user_name(Some("Alice.Smith")), "alice.smith");
        assert_eq!(local_user_name(Some("John Doe")), "john_doe");
        assert_eq!(local_user_name(Some("42admin")), "admin");
        assert_eq!(local_user_name(Some("1234")), "me");
        assert_eq!(local_user_name(Some("")), "me");
        assert_eq!(local_user_name(None), "me");
        assert_eq!(local_user_name(Some(&"x".repeat(100))).len(), 64);
    }
}
