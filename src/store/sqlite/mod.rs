//! The SQLite backend (the embedded default): one file in WAL mode, `synchronous=FULL`.
//!
//! Writes go to one writer thread that group-commits them (`writer.rs`), with checkpoints on a
//! thread of their own (`checkpoint.rs`); reads go to a small pool of query-only connections
//! beside it (`reader.rs`): point lookups on the calling task, longer reads on blocking threads. Several processes may open the same file:
//! SQLite's locks (waited on for `schema::BUSY_TIMEOUT`) serialise their writers, and each
//! transaction re-reads the audit chain's tail.
//!
//! Change events (`Store::changes`) are in-process: a SQLite vault is served by one process, and
//! each `SqliteStore` hears only the writes made through itself.

mod accounts;
mod audit;
mod checkpoint;
mod data_version;
mod error;
mod reader;
mod schema;
mod sealing;
mod secrets;
mod tokens;
mod writer;

#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;

use self::data_version::DataVersion;
use self::reader::ReadPool;
use self::writer::Writer;
use super::*;

pub struct SqliteStore {
    // Field order is drop order: the writer finishes its queue and closes first.
    writer: Writer,
    readers: Arc<ReadPool>,
    /// Set once by `use_audit_chain`; the writer thread reads it for every batch.
    links: Arc<OnceLock<AuditChain>>,
    /// `Store::changes`: in-process only. Published once the writer has committed, so that a
    /// subscriber that re-reads on an event sees the change.
    changes: tokio::sync::broadcast::Sender<SecretChange>,
    /// `Store::accounts_epoch`: bumped after each change to tokens, users or the org this store
    /// commits. Other processes on the same file are not heard (the cache's freshness bounds them).
    accounts: AccountsEpoch,
    /// `Store::data_version`: sees every commit to the file, this process's or another's.
    version: DataVersion,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Announces a committed change. No subscriber is not an error: nobody is listening.
    fn announce(&self, change: SecretChange) {
        let _ = self.changes.send(change);
    }

    /// Runs an account change (tokens, users, org): the epoch moves on once it is committed
    /// (or failed: moving on is always safe), before its caller is answered.
    async fn write_accounts<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut writer::Tx<'_>) -> StoreResult<T> + Send + 'static,
    {
        let result = self.writer.write(work).await;
        self.accounts.bump();
        result
    }

    /// Opens (creating if needed) the database file at `path`, what follows `sqlite://`. The
    /// directory must exist. Applies the embedded migrations.
    pub async fn open(path: &str) -> StoreResult<SqliteStore> {
        schema::check_path(path)?;
        let owned = path.to_owned();
        let conn = tokio::task::spawn_blocking(move || schema::open_writer(&owned))
            .await
            .map_err(|_| StoreError::Backend("opening the database stopped unexpectedly".into()))??;
        let links = Arc::new(OnceLock::new());
        Ok(SqliteStore {
            writer: Writer::start(conn, Arc::clone(&links))?,
            readers: ReadPool::new(path),
            links,
            changes: tokio::sync::broadcast::Sender::new(CHANGES_CAPACITY),
            accounts: AccountsEpoch::default(),
            version: DataVersion::new(path),
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn accounts_epoch(&self) -> Option<u64> {
        self.accounts.current()
    }

    fn healthy(&self) -> bool {
        self.writer.is_running()
    }

    async fn init(&self, org: &str, admin: &str, token: NewToken, at: Millis) -> StoreResult<UserRow> {
        let (org, admin) = (org.to_owned(), admin.to_owned());
        self.writer
            .write(move |tx| accounts::init(tx, &org, &admin, token, at))
            .await
    }

    async fn org(&self) -> StoreResult<Option<OrgRow>> {
        self.readers.read_short(accounts::org).await
    }

    async fn update_org(&self, members_can_reveal: bool, audit: NewAudit) -> StoreResult<OrgRow> {
        self.write_accounts(move |tx| accounts::update_org(tx, members_can_reveal, audit))
            .await
    }

    async fn create_user(
        &self,
        name: &str,
        role: Role,
        enrolment: NewEnrolment,
        audit: NewAudit,
    ) -> StoreResult<UserRow> {
        let name = name.to_owned();
        self.writer
            .write(move |tx| accounts::create_user(tx, &name, role, enrolment, audit))
            .await
    }

    async fn new_enrolment(&self, user_id: i64, enrolment: NewEnrolment, audit: NewAudit) -> StoreResult<()> {
        self.writer
            .write(move |tx| tokens::new_enrolment(tx, user_id, enrolment, audit))
            .await
    }

    async fn enroll(&self, code: &TokenHash, token: NewToken, audit: NewAudit) -> StoreResult<EnrolOutcome> {
        let code = *code;
        // Anyone may call enrolment: an unknown code (a guess) is answered from a reader, so
        // that a flood of guesses never queues on the one writer.
        if !self
            .readers
            .read_short(move |c| tokens::enrolment_exists(c, &code))
            .await?
        {
            return Ok(EnrolOutcome::Unknown);
        }
        self.writer
            .write(move |tx| tokens::enroll(tx, &code, token, audit))
            .await
    }

    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRow>> {
        let name = name.to_owned();
        self.readers.read_short(move |c| accounts::user_by_name(c, &name)).await
    }

    async fn list_users(&self, at: Millis) -> StoreResult<Vec<UserSummary>> {
        self.readers.read(move |c| accounts::list_users(c, at)).await
    }

    async fn update_user(&self, name: &str, patch: UserPatch, audit: NewAudit) -> StoreResult<UserRow> {
        let name = name.to_owned();
        self.write_accounts(move |tx| accounts::update_user(tx, &name, patch, audit))
            .await
    }

    async fn token_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<(TokenRow, UserRow)>> {
        let hash = *hash;
        self.readers.read_short(move |c| tokens::token_by_hash(c, &hash)).await
    }

    async fn create_token(&self, token: NewToken, audit: NewAudit) -> StoreResult<TokenRow> {
        self.writer
            .write(move |tx| tokens::create_token(tx, token, audit))
            .await
    }

    async fn list_tokens(&self, user_id: i64) -> StoreResult<Vec<TokenRow>> {
        self.readers.read_short(move |c| tokens::list_tokens(c, user_id)).await
    }

    async fn revoke_token(&self, user_id: i64, token_id: &str, audit: NewAudit) -> StoreResult<Vec<String>> {
        let token_id = token_id.to_owned();
        self.write_accounts(move |tx| tokens::revoke_token(tx, user_id, &token_id, audit))
            .await
    }

    async fn revoke_user_tokens(&self, user_id: i64, audit: NewAudit) -> StoreResult<Vec<String>> {
        self.write_accounts(move |tx| tokens::revoke_user_tokens(tx, user_id, audit))
            .await
    }

    async fn touch_tokens(&self, uses: Vec<(String, Millis)>) -> StoreResult<()> {
        if uses.is_empty() {
            return Ok(());
        }
        self.writer.write(move |tx| tokens::touch_tokens(tx, &uses)).await
    }

    async fn get_secret(&self, owner: Owner, name: &str) -> StoreResult<Option<SecretRow>> {
        let name = name.to_owned();
        self.readers
            .read_short(move |c| secrets::get_secret(c, owner, &name))
            .await
    }

    async fn list_secrets(&self, filter: &SecretFilter) -> StoreResult<Vec<SecretRow>> {
        let filter = filter.clone();
        self.readers.read(move |c| secrets::list_secrets(c, &filter)).await
    }

    async fn write_secret(&self, write: SecretWrite, audit: NewAudit) -> StoreResult<SecretRow> {
        let (created, at) = (write.expected.is_none(), audit.at);
        let row = self
            .writer
            .write(move |tx| secrets::write_secret(tx, write, audit))
            .await?;
        self.announce(SecretChange::written(&row, created, at));
        Ok(row)
    }

    async fn write_secret_latest(
        &self,
        write: SecretWrite,
        reseal: Reseal,
        audit: NewAudit,
    ) -> StoreResult<(SecretRow, bool)> {
        let at = audit.at;
        let (row, created) = self
            .writer
            .write(move |tx| secrets::write_secret_latest(tx, write, reseal, audit))
            .await?;
        self.announce(SecretChange::written(&row, created, at));
        Ok((row, created))
    }

    async fn update_secret(
        &self,
        owner: Owner,
        name: &str,
        patch: MetaPatch,
        audit: NewAudit,
    ) -> StoreResult<SecretRow> {
        let (name, at) = (name.to_owned(), audit.at);
        let row = self
            .writer
            .write(move |tx| secrets::update_secret(tx, owner, &name, patch, audit))
            .await?;
        self.announce(SecretChange::updated(&row, at));
        Ok(row)
    }

    async fn delete_secret(&self, owner: Owner, name: &str, audit: NewAudit) -> StoreResult<()> {
        let (owned, at) = (name.to_owned(), audit.at);
        self.writer
            .write(move |tx| secrets::delete_secret(tx, owner, &owned, audit))
            .await?;
        self.announce(SecretChange::deleted(owner, name, at));
        Ok(())
    }

    async fn versions(&self, secret_id: i64) -> StoreResult<Vec<VersionRow>> {
        self.readers.read_short(move |c| secrets::versions(c, secret_id)).await
    }

    async fn version(&self, secret_id: i64, version: i64) -> StoreResult<Option<VersionRow>> {
        self.readers
            .read_short(move |c| secrets::version(c, secret_id, version))
            .await
    }

    async fn secret_with_version(
        &self,
        owners: &[Owner],
        name: &str,
        version: Option<i64>,
    ) -> StoreResult<Option<(SecretRow, Option<VersionRow>)>> {
        let (owners, name) = (owners.to_vec(), name.to_owned());
        self.readers
            .read_short(move |c| secrets::secret_with_version(c, &owners, &name, version))
            .await
    }

    async fn deliverable(&self, owners: &[Owner], scope: Option<Scope>) -> StoreResult<Vec<(SecretRow, String)>> {
        let owners = owners.to_vec();
        self.readers
            .read(move |c| secrets::deliverable(c, &owners, scope))
            .await
    }

    async fn record_use(&self, secret_ids: &[i64], at: Millis, audits: Vec<NewAudit>) -> StoreResult<()> {
        let ids = secret_ids.to_vec();
        self.writer
            .write(move |tx| secrets::record_use(tx, &ids, at, audits))
            .await
    }

    async fn append_audit(&self, audits: Vec<NewAudit>) -> StoreResult<()> {
        if audits.is_empty() {
            return Ok(());
        }
        self.writer.write(move |tx| tx.append_audits(audits)).await
    }

    async fn list_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        let filter = filter.clone();
        self.readers.read(move |c| audit::list_audit(c, &filter)).await
    }

    async fn audit_range(&self, after_id: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
        self.readers.read(move |c| audit::audit_range(c, after_id, limit)).await
    }

    async fn audit_chain_key(&self) -> StoreResult<Option<ChainKeyRecord>> {
        self.readers.read_short(audit::chain_key).await
    }

    async fn key_audit_chain(&self, record: ChainKeyRecord) -> StoreResult<ChainKeyRecord> {
        self.writer.write(move |tx| audit::key_chain(tx, record)).await
    }

    async fn reseal_audit_chain_key(&self, old: &str, new: &str) -> StoreResult<bool> {
        let (old, new) = (old.to_owned(), new.to_owned());
        self.writer
            .write(move |tx| audit::reseal_chain_key(tx, &old, &new))
            .await
    }

    fn use_audit_chain(&self, chain: AuditChain) -> StoreResult<()> {
        self.links
            .set(chain)
            .map_err(|_| StoreError::Backend("the audit chain key was given twice".into()))
    }

    fn audit_chain(&self) -> Option<&AuditChain> {
        self.links.get()
    }

    fn changes(&self) -> tokio::sync::broadcast::Receiver<SecretChange> {
        self.changes.subscribe()
    }

    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        self.writer.metrics().register(registry);
        self.readers.metrics().register(registry);
    }

    fn data_version(&self) -> Option<u64> {
        self.version.current()
    }

    async fn sealed_not_under(&self, key_id: &str, after: (i64, i64), limit: u32) -> StoreResult<Vec<SealedRow>> {
        let key_id = key_id.to_owned();
        self.readers
            .read(move |c| sealing::sealed_not_under(c, &key_id, after, limit))
            .await
    }

    async fn sealed_legacy(&self, after: (i64, i64), limit: u32) -> StoreResult<Vec<SealedRow>> {
        self.readers
            .read(move |c| sealing::sealed_legacy(c, after, limit))
            .await
    }

    async fn replace_sealed(
        &self,
        secret_id: i64,
        version: i64,
        old: &str,
        new: &str,
        preview: &str,
    ) -> StoreResult<bool> {
        let (old, new, preview) = (old.to_owned(), new.to_owned(), preview.to_owned());
        self.writer
            .write(move |tx| sealing::replace_sealed(tx, secret_id, version, &old, &new, &preview))
            .await
    }

    async fn sealing_state(&self) -> StoreResult<SealingState> {
        self.readers.read(sealing::sealing_state).await
    }

    async fn retire_legacy_sealing(&self) -> StoreResult<bool> {
        self.writer.write(sealing::retire_legacy_sealing).await
    }
}
