//! Storage: the `Store` trait over rows (secrets, versions, users, token hashes, audit events) and
//! its backends, chosen by the database URL's scheme.
//!
//! A store never sees a plaintext value (only sealed text and previews) and knows nothing of HTTP.
//! Each mutating method is one atomic unit that includes its audit records, so that an audit
//! record is committed in the same transaction as the change it describes: a backend must never
//! commit the change without its audit records, nor report success before both are durable.

mod accounts_epoch;
mod audit_chain;
mod pending;
pub mod postgres;
mod rows;
pub mod sqlite;
mod store_metrics;

use std::sync::Arc;

use async_trait::async_trait;

pub use accounts_epoch::AccountsEpoch;
pub use audit_chain::{AuditChain, ChainKeyRecord, GENESIS_HASH, legacy_link_hash, link_hash};
pub use rows::*;
pub use store_metrics::{PoolMetrics, WriterMetrics};

use crate::crypto::TokenHash;

/// Changes buffered per subscriber before the slowest one lags (and is told to re-read): a burst
/// of this many writes between two reads of a stream.
pub const CHANGES_CAPACITY: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Check-and-set failed: the stored version (None: no such secret) is not the expected one.
    #[error("the secret changed meanwhile (stored version {current:?})")]
    Conflict { current: Option<i64> },
    #[error("not found")]
    NotFound,
    #[error("the vault is already initialised")]
    AlreadyInitialised,
    #[error("the vault is not initialised: run `vaultty admin init` first")]
    NotInitialised,
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("the database is out of disk space; nothing was written")]
    Full,
    #[error("the database is busy; try again")]
    Busy,
    /// Every database connection stayed in use past the short wait for one: a burst of requests.
    #[error("too many database reads at once; try again")]
    Overloaded,
    #[error("bad database URL {url:?}: {reason}")]
    Url { url: String, reason: String },
    #[error("database error: {0}")]
    Backend(String),
    /// The unkeyed audit chain of an older database does not verify, so it cannot be keyed.
    #[error(
        "the audit chain is broken at event {id}, so it cannot be keyed; nothing was changed. \
         Run `vaultty admin audit-verify` and restore the database from a backup"
    )]
    ChainBroken { id: i64 },
    /// The change would leave the org without an enabled admin.
    #[error("{0} is the last active admin")]
    LastAdmin(String),
    /// An audit record was to be appended by a store opened without the audit chain key.
    #[error("this store was opened without the audit chain key, so it cannot append audit events")]
    NoChainKey,
}

impl StoreError {
    /// A copy of an error, for answering every job of a batch whose transaction failed.
    /// (`StoreError` is not `Clone`: the trait's error type stays free to carry non-clonable sources.)
    pub fn duplicate(&self) -> StoreError {
        match self {
            StoreError::Conflict { current } => StoreError::Conflict { current: *current },
            StoreError::NotFound => StoreError::NotFound,
            StoreError::AlreadyInitialised => StoreError::AlreadyInitialised,
            StoreError::NotInitialised => StoreError::NotInitialised,
            StoreError::AlreadyExists(s) => StoreError::AlreadyExists(s.clone()),
            StoreError::Full => StoreError::Full,
            StoreError::Busy => StoreError::Busy,
            StoreError::Overloaded => StoreError::Overloaded,
            StoreError::Url { url, reason } => StoreError::Url {
                url: url.clone(),
                reason: reason.clone(),
            },
            StoreError::Backend(s) => StoreError::Backend(s.clone()),
            StoreError::ChainBroken { id } => StoreError::ChainBroken { id: *id },
            StoreError::NoChainKey => StoreError::NoChainKey,
            StoreError::LastAdmin(s) => StoreError::LastAdmin(s.clone()),
        }
    }

    /// A failure of the store itself, not a refusal the caller is told about (a conflict, a name
    /// taken, not found): counted in `vaultty_store_failed_writes_total`.
    pub fn is_store_failure(&self) -> bool {
        matches!(
            self,
            StoreError::Full
                | StoreError::Busy
                | StoreError::Backend(_)
                | StoreError::ChainBroken { .. }
                | StoreError::NoChainKey
        )
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The storage contract. Timestamps are Unix milliseconds (`Millis`); the caller supplies them, so
/// that one request uses one clock reading everywhere.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the store can still write. False once the backend has stopped for good (SQLite: its
    /// writer thread is gone, which it does when the database file was deleted or replaced under
    /// it); only a restart helps then. Cheap: `/healthz` asks it.
    fn healthy(&self) -> bool;

    // ---- the org, users and tokens ----

    /// Creates the org and its first admin with a token. `AlreadyInitialised` on a second call.
    async fn init(&self, org: &str, admin: &str, token: NewToken, at: Millis) -> StoreResult<UserRow>;
    /// The org; `None` before `init`.
    async fn org(&self) -> StoreResult<Option<OrgRow>>;
    async fn update_org(&self, members_can_reveal: bool, audit: NewAudit) -> StoreResult<OrgRow>;
    /// Creates a user (enabled, with no token) and stores their first enrolment code.
    /// `AlreadyExists` when the name is taken.
    async fn create_user(
        &self,
        name: &str,
        role: Role,
        enrolment: NewEnrolment,
        audit: NewAudit,
    ) -> StoreResult<UserRow>;
    /// Stores a new enrolment code for a user who has never held a token, and makes their
    /// earlier unused codes unusable, in one transaction with `audit`. `NotFound` for no such
    /// user, `AlreadyExists` when the user has (or had) a token.
    async fn new_enrolment(&self, user_id: i64, enrolment: NewEnrolment, audit: NewAudit) -> StoreResult<()>;
    /// Exchanges an enrolment code (by hash) for the user's first token, in one transaction: the
    /// code is marked used, every other code of the user too, and the token is stored for the
    /// code's user (`token.user_id` is ignored). `audit` is the template of the row appended
    /// either way (`enroll`, ok or denied): the store fills in the actor, the target and the
    /// outcome. An unknown code writes nothing.
    async fn enroll(&self, code: &TokenHash, token: NewToken, audit: NewAudit) -> StoreResult<EnrolOutcome>;
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRow>>;
    /// Every user, by name, with what the admin listing shows; tokens are live at `at`.
    async fn list_users(&self, at: Millis) -> StoreResult<Vec<UserSummary>>;
    /// Changes a user's role or disabled flag in one transaction with one audit row per field
    /// that changes (`audit` is the template: the store sets the action and the target).
    /// `NotFound` for no such user; `LastAdmin` when no enabled admin would be left.
    async fn update_user(&self, name: &str, patch: UserPatch, audit: NewAudit) -> StoreResult<UserRow>;
    /// The token with this hash and its user, whether or not it is expired or revoked (the caller
    /// decides, and compares the hash in constant time).
    async fn token_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<(TokenRow, UserRow)>>;
    async fn create_token(&self, token: NewToken, audit: NewAudit) -> StoreResult<TokenRow>;
    /// All of a user's tokens, revoked and expired ones included, oldest first.
    async fn list_tokens(&self, user_id: i64) -> StoreResult<Vec<TokenRow>>;
    /// Revokes one of the user's live tokens and every live token it created, transitively, in
    /// one transaction with one `token_revoke` row per token (`audit` is the template; the
    /// store sets the target). Returns the revoked ids; `NotFound` when the user has no such
    /// live token. "Live" here means not revoked: an expired token can still be revoked.
    async fn revoke_token(&self, user_id: i64, token_id: &str, audit: NewAudit) -> StoreResult<Vec<String>>;
    /// Revokes every live token of the user (neither revoked nor expired at `audit.at`; an
    /// expired token never works again anyway, and neither do its descendants, which expire no
    /// later), as `revoke_token` does. Returns the revoked ids, possibly none.
    async fn revoke_user_tokens(&self, user_id: i64, audit: NewAudit) -> StoreResult<Vec<String>>;
    /// Records when tokens were last used (keeping the later time if a stored one is later).
    /// No audit: this is bookkeeping, batched by the vault.
    async fn touch_tokens(&self, uses: Vec<(String, Millis)>) -> StoreResult<()>;

    // ---- secrets ----

    async fn get_secret(&self, owner: Owner, name: &str) -> StoreResult<Option<SecretRow>>;
    /// Metadata rows matching the filter, ordered by owner (org first) then name.
    async fn list_secrets(&self, filter: &SecretFilter) -> StoreResult<Vec<SecretRow>>;
    /// Creates (`write.expected == None`) or rotates (`Some(v)`) a secret with check-and-set on the
    /// stored version, adds the version row, prunes versions beyond `max_versions`, and appends
    /// the audit record, all in one transaction. `Conflict` when the stored version differs.
    async fn write_secret(&self, write: SecretWrite, audit: NewAudit) -> StoreResult<SecretRow>;
    /// Creates or rotates a secret on top of whatever version is stored (last writer wins), in
    /// one transaction like `write_secret`. `write` is sealed for the version after
    /// `write.expected`; when another version is stored by then, the store writes the one after
    /// that instead, sealed by `reseal`. The audit record gets the version written and says
    /// `Create` or `Rotate` for what happened. Never `Conflict`. Returns the row and whether it
    /// was created.
    async fn write_secret_latest(
        &self,
        write: SecretWrite,
        reseal: Reseal,
        audit: NewAudit,
    ) -> StoreResult<(SecretRow, bool)>;
    /// Edits metadata without rotating. `NotFound` when there is no such secret.
    async fn update_secret(
        &self,
        owner: Owner,
        name: &str,
        patch: MetaPatch,
        audit: NewAudit,
    ) -> StoreResult<SecretRow>;
    /// Deletes a secret and all its versions. `NotFound` when there is no such secret.
    async fn delete_secret(&self, owner: Owner, name: &str, audit: NewAudit) -> StoreResult<()>;
    /// Versions of a secret, newest first, with their sealed text.
    async fn versions(&self, secret_id: i64) -> StoreResult<Vec<VersionRow>>;
    async fn version(&self, secret_id: i64, version: i64) -> StoreResult<Option<VersionRow>>;
    /// For a reveal, in one read: the secret `name` of the first of `owners` that has one, and its
    /// version `version` (the current one when `None`; `None` when that version is not kept).
    async fn secret_with_version(
        &self,
        owners: &[Owner],
        name: &str,
        version: Option<i64>,
    ) -> StoreResult<Option<(SecretRow, Option<VersionRow>)>>;
    /// For `/v1/env`: every secret of these owners whose scope is `all` or `scope` (any scope
    /// when `None`), with the sealed text of its current version.
    async fn deliverable(&self, owners: &[Owner], scope: Option<Scope>) -> StoreResult<Vec<(SecretRow, String)>>;
    /// Records uses (reveals, deliveries): sets `last_used_at` on the secrets and appends the audit
    /// records in one transaction. Returns once both are durable.
    async fn record_use(&self, secret_ids: &[i64], at: Millis, audits: Vec<NewAudit>) -> StoreResult<()>;

    // ---- audit ----

    /// Appends audit records that go with no other change (denied requests, failed auth).
    async fn append_audit(&self, audits: Vec<NewAudit>) -> StoreResult<()>;
    /// Events newest first.
    async fn list_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>>;
    /// Events oldest first with `id > after_id`, for verifying the chain in batches.
    async fn audit_range(&self, after_id: i64, limit: u32) -> StoreResult<Vec<AuditRow>>;

    // ---- the audit chain key (see audit_chain.rs) ----

    /// The sealed chain key; `None` until the chain is keyed.
    async fn audit_chain_key(&self) -> StoreResult<Option<ChainKeyRecord>>;
    /// Keys the chain, in one transaction: when no chain key is stored yet, checks every event
    /// already stored with the legacy link (`ChainBroken` if one does not hold) and stores
    /// `record`, whose `keyed_from` must be the id the next event gets (`Conflict` with the
    /// last id when it is not: events were appended meanwhile; seal for the next and try again).
    /// Returns the stored record: another process's when it came first.
    async fn key_audit_chain(&self, record: ChainKeyRecord) -> StoreResult<ChainKeyRecord>;
    /// Replaces the sealed chain key if it is still `old` (a rekey); returns whether it did.
    async fn reseal_audit_chain_key(&self, old: &str, new: &str) -> StoreResult<bool>;
    /// Gives the store the chain that links the events it appends: once, right after opening.
    /// Until then every append fails with `NoChainKey`.
    fn use_audit_chain(&self, chain: AuditChain) -> StoreResult<()>;
    /// The chain given to `use_audit_chain`, if any.
    fn audit_chain(&self) -> Option<&AuditChain>;

    // ---- change events (`GET /v1/events`) ----

    /// A subscription to the secret changes (create, rotate, metadata update, delete) committed
    /// from now on, each delivered after its transaction has committed. Never a value.
    ///
    /// Which writers it hears is the backend's: SQLite announces the changes made through this
    /// store (one process serves a SQLite vault: another `SqliteStore` on the same file, even in
    /// this process, is not heard); PostgreSQL those of every replica of the database. A receiver
    /// that falls behind gets `RecvError::Lagged`: changes were dropped, and it must re-read the
    /// state it cares about rather than trust what it has. A notification is a hint to re-read,
    /// never the data itself. A backend that may have missed changes itself (PostgreSQL, once
    /// its listening connection is restored) drops its sender for a new one: its receivers get
    /// `RecvError::Closed`, subscribe again, and re-read. A receiver that is closed at once means
    /// nothing will be heard.
    fn changes(&self) -> tokio::sync::broadcast::Receiver<SecretChange>;

    /// The accounts epoch ([`AccountsEpoch`]): it changes whenever a token, a user or the org
    /// settings may have changed, so that what was read about them before can be dropped. `None`
    /// while the backend cannot tell (then nothing about accounts may be kept between requests).
    fn accounts_epoch(&self) -> Option<u64>;

    /// Adds the backend's own series (group commit, connection pool) to the server's `/metrics`
    /// registry; see docs/ARCHITECTURE.md, "Metrics". None by default.
    fn register_metrics(&self, _registry: &mut prometheus_client::registry::Registry) {}

    /// A number that changes whenever a write commits, by any connection or process, or `None`
    /// when the backend cannot say so cheaply and for sure. Read before the rows it guards, a
    /// value equal to an earlier one means nothing committed in between, so what was read under
    /// it is still current: the server's listing cache (`server/list_cache.rs`) keys on it.
    /// Cheap (microseconds), never waits for the database: `None` rather than a wait. PostgreSQL
    /// keeps the default: other replicas write to it without telling this one.
    fn data_version(&self) -> Option<u64> {
        None
    }

    // ---- master-key rotation and the sealed format ----

    /// Up to `limit` version rows not sealed in the current format (`crypto::SEALED_FORMAT`)
    /// under `key_id`, after the cursor `(secret_id, version)`, in cursor order. A rekey walks
    /// these batches until one comes back empty.
    async fn sealed_not_under(&self, key_id: &str, after: (i64, i64), limit: u32) -> StoreResult<Vec<SealedRow>>;
    /// Like `sealed_not_under`, but only the rows sealed in the old format
    /// (`crypto::LEGACY_SEALED_FORMAT`), whatever their key.
    async fn sealed_legacy(&self, after: (i64, i64), limit: u32) -> StoreResult<Vec<SealedRow>>;
    /// Replaces one version's sealed text and preview if the text is still `old` (a rotation may
    /// have pruned or changed it meanwhile), and the secret's preview when that version is its
    /// current one. Returns whether it was replaced.
    async fn replace_sealed(
        &self,
        secret_id: i64,
        version: i64,
        old: &str,
        new: &str,
        preview: &str,
    ) -> StoreResult<bool>;
    /// The key ids in use and whether the old format is retired. Reads every version row once.
    async fn sealing_state(&self) -> StoreResult<SealingState>;
    /// Refuses the old format for good, if no row is left in it (in one transaction, so that a
    /// row re-sealed meanwhile cannot be missed). Returns whether it is now retired.
    async fn retire_legacy_sealing(&self) -> StoreResult<bool>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store a database URL names: `sqlite:///absolute/path.db`, `sqlite://relative.db`,
/// or `postgres://user:password@host:port/database` (also `postgresql://`).
pub async fn open(url: &str) -> StoreResult<DynStore> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let store = sqlite::SqliteStore::open(path).await?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = postgres::PgStore::open(url).await?;
        Ok(Arc::new(store))
    } else {
        Err(StoreError::Url {
            url: postgres::connect::redacted(url),
            reason: "expected sqlite:///absolute/path/vault.db, sqlite://relative.db or postgres://user:password@host/database".into(),
        })
    }
}
