//! The vault's errors; the server maps each to its status code and error body in one place.

use crate::crypto::CryptoError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Conflict { message: String, current: Option<i64> },
    /// Malformed or out-of-limits input (400).
    #[error("{0}")]
    Invalid(String),
    /// Well-formed input that the rules refuse (422), e.g. making a write-only secret revealable.
    #[error("{0}")]
    Unprocessable(String),
    #[error("the vault is already initialised; `admin init` runs once")]
    AlreadyInitialised,
    /// Stored values are sealed under these key ids, which were not configured.
    #[error(
        "the database holds values sealed under master key(s) {}, which this vault was not given; \
         start it with those keys too (VAULTTY_MASTER_KEY or --master-key-file; the first key \
         given still seals new values)",
        .0.join(", ")
    )]
    KeysMissing(Vec<String>),
    #[error("storage: {0}")]
    Store(StoreError),
    /// A stored value that does not open: a wrong or missing master key, or tampering.
    #[error("a stored value could not be opened: {0}")]
    Crypto(#[from] CryptoError),
    /// The audit chain key is sealed under a master key this vault was not given: a configuration
    /// error, like `KeysMissing`.
    #[error(
        "the audit chain key is sealed under master key {0}, which is not configured: pass that key \
         too (after `vaultty admin rekey`, the new primary is enough)"
    )]
    ChainKeyMissing(String),
    /// The audit chain key does not open under its master key: its row was altered.
    #[error("{0}")]
    ChainKey(String),
}

impl From<StoreError> for VaultError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyInitialised => VaultError::AlreadyInitialised,
            StoreError::AlreadyExists(what) => VaultError::Conflict {
                message: format!("{what} already exists"),
                current: None,
            },
            StoreError::Conflict { current } => VaultError::Conflict {
                message: match current {
                    Some(v) => format!("the secret changed meanwhile: the stored version is now {v}"),
                    None => "the secret changed meanwhile: it no longer exists".into(),
                },
                current,
            },
            other => VaultError::Store(other),
        }
    }
}

impl VaultError {
    /// The keys given do not fit the database: a configuration error, not a failure of the vault.
    pub fn is_missing_keys(&self) -> bool {
        matches!(self, VaultError::KeysMissing(_) | VaultError::ChainKeyMissing(_))
    }
}

pub type VaultResult<T> = Result<T, VaultError>;
