//! The domain rules: who may do what, create / rotate / reveal / delete / deliver, the audit record
//! written before the answer, check-and-set on rotation.
//!
//! The HTTP handlers and the admin commands both go through here. No HTTP types: a request
//! arrives as a `Caller` plus `api` types and leaves as `api` types or a `VaultError`.

mod admin;
mod audit;
mod audit_chain;
mod auth_cache;
mod clock;
mod convert;
mod error;
mod events;
mod identity;
mod migrate;
pub mod policy;
mod reveal;
mod sealing;
mod secrets;
mod token_use;
mod tokens;
mod users;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use admin::{admin_create_user, admin_init, rekey};
pub use audit_chain::{
    ChainOpen, ChainReport, HeadCheck, audit_verify, check_head, open_store, open_store_with, reseal_chain_key,
};
pub use clock::{Clock, ManualClock};
pub(crate) use convert::ts as millis_to_datetime;
pub use error::VaultError;
pub use error::VaultResult;
pub use identity::FailedAuths;
pub use migrate::{MigrateReport, migrate_sqlite_to_postgres};
pub use reveal::EnvDelivery;
pub use sealing::{RekeyReport, UnopenableRow};
pub use users::{DEFAULT_ENROLMENT_SECS, EnrolError, MAX_ENROLMENT_SECS};

use crate::api::{Role, Scope};
use crate::crypto::Keyring;
use crate::store::{AuditAction, DynStore, Millis, NewAudit, Outcome, Owner, UserRow};

/// Server settings the rules depend on.
#[derive(Debug, Clone)]
pub struct VaultSettings {
    /// Versions kept per secret (the newest; older ones are pruned on rotation).
    pub max_versions: u32,
    /// Where "now" comes from: expiry checks and every stored timestamp.
    pub clock: Clock,
}

impl Default for VaultSettings {
    fn default() -> Self {
        VaultSettings {
            max_versions: 10,
            clock: Clock::System,
        }
    }
}

/// The vault: a store, the master keys, and the settings.
#[derive(Clone)]
pub struct Vault {
    store: DynStore,
    keyring: Arc<Keyring>,
    settings: VaultSettings,
    /// Whether values in the old v1 format still open: set by `prepare` while some are left to
    /// re-seal; refused otherwise, so that an old row put back (from a backup) does not open.
    accept_v1: Arc<AtomicBool>,
    /// Token uses not written yet (`last_used_at`), flushed by the server.
    token_use: Arc<token_use::TokenUse>,
    /// Tokens' rows and the org settings between requests, keyed by the accounts epoch.
    auth_cache: Arc<auth_cache::AuthCache>,
}

/// Who is asking, and from where (for the audit log).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRow,
    pub token_id: String,
    /// The expiry of the token in use: a token it creates expires no later.
    pub token_expires_at: Option<Millis>,
    /// The request's User-Agent; a runner token's name instead (what its audit rows show).
    pub client: Option<String>,
    pub ip: Option<String>,
    /// Set when the token is a runner token: what it may be delivered, and nothing else.
    pub runner: Option<RunnerBinding>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}

/// What a runner token is bound to: the secrets of one namespace (the org's, or its user's own)
/// whose scope is `all` or `scope`. Such a token may only have them delivered (`POST /v1/env`)
/// and hear of their changes (`GET /v1/events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunnerBinding {
    pub scope: Scope,
    pub org_wide: bool,
}

impl RunnerBinding {
    /// The namespace the binding names, for a token of user `user_id`.
    pub fn owner(&self, user_id: i64) -> Owner {
        if self.org_wide {
            Owner::Org
        } else {
            Owner::User(user_id)
        }
    }

    /// Whether a secret of this scope is the runner's: `all`, or its own scope.
    pub fn covers(&self, scope: Scope) -> bool {
        scope == Scope::All || scope == self.scope
    }
}

/// Where a request comes from before it is authenticated.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub client: Option<String>,
    pub ip: Option<String>,
}

impl Vault {
    pub fn new(store: DynStore, keyring: Arc<Keyring>, settings: VaultSettings) -> Self {
        Vault {
            store,
            keyring,
            settings,
            accept_v1: Arc::new(AtomicBool::new(false)),
            token_use: Arc::default(),
            auth_cache: Arc::default(),
        }
    }

    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// Writes the pending token uses (`last_used_at`); the server calls it about once a second
    /// and at shutdown. A failure is only logged by the caller: nothing waits on it.
    pub async fn flush_token_use(&self) -> VaultResult<()> {
        Ok(self.token_use.flush(&self.store).await?)
    }

    /// Now, by the vault's clock.
    pub(crate) fn now_millis(&self) -> Millis {
        self.settings.clock.now_millis()
    }
}

/// An audit record for `caller` doing `action`; the secret fields are filled by the caller.
pub(crate) fn audit_for(caller: &Caller, action: AuditAction, outcome: Outcome, at: Millis) -> NewAudit {
    NewAudit {
        actor: Some(caller.user.name.clone()),
        client: caller.client.clone(),
        ip: caller.ip.clone(),
        ..NewAudit::new(at, action, outcome)
    }
}
