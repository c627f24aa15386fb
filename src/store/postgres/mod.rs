//! The PostgreSQL backend: one database that several `vaultty serve` replicas share.
//!
//! Writes go to this replica's writer task, which group-commits them (`writer.rs`) under the
//! audit chain's lock; reads take a connection from a small pool (`connect.rs`) and see everything
//! committed before they start, whichever replica committed it. Every replica writes: there is no
//! leader. The schema is migrated at open under an advisory lock (`schema.rs`).
//!
//! The queries live beside SQLite's, one file per part of the `Store` contract, with the same
//! names: `accounts.rs`, `tokens.rs`, `secrets.rs`, `audit.rs`, `sealing.rs`. Functions taking
//! `&ClientWrapper` are reads; those taking `&mut PgTx` run in a batch, inside a job's savepoint.

mod accounts;
mod audit;
mod batch_rows;
mod changes;
pub mod connect;
mod error;
pub mod import;
pub mod schema;
mod sealing;
mod secrets;
mod tokens;
mod writer;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use deadpool_postgres::{Object, Pool};

use self::writer::Writer;
use super::*;

pub struct PgStore {
    writer: Writer,
    readers: Pool,
    read_metrics: PoolMetrics,
    /// Set once by `use_audit_chain`; the writer task reads it for every append.
    links: Arc<OnceLock<AuditChain>>,
    /// `Store::changes`: every replica's, heard through LISTEN/NOTIFY (`changes.rs`).
    changes: changes::Listener,
    /// `Store::accounts_epoch`: bumped after this replica's account changes, and by the listener
    /// for every replica's (it sends `changes::ACCOUNTS` with each).
    accounts: Arc<AccountsEpoch>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database a `postgres://` URL names and brings its schema up to date.
    pub async fn open(url: &str) -> StoreResult<PgStore> {
        let config = connect::config(url)?;
        let readers = connect::read_pool(config.clone())?;
        let read_metrics = PoolMetrics::default();
        let mut first = connect::get(&readers, &read_metrics).await.map_err(|e| match e {
            StoreError::Backend(msg) => StoreError::Backend(format!("{} ({})", msg, connect::redacted(url))),
            other => other,
        })?;
        schema::migrate(&mut first).await?;
        drop(first);
        // The writer's own pool of one: a batch never waits behind reads for a connection.
        let writes = connect::writer_pool(config.clone())?;
        let accounts = Arc::new(AccountsEpoch::default());
        let changes = changes::Listener::start(config, readers.clone(), Arc::clone(&accounts)).await?;
        let links = Arc::new(OnceLock::new());
        Ok(PgStore {
            writer: Writer::start(writes, read_metrics.clone(), Arc::clone(&links)),
            readers,
            read_metrics,
            links,
            changes,
            accounts,
        })
    }

    /// Runs an account change (tokens, users, org) and tells every replica of it when it commits;
    /// this replica's epoch moves on before its caller is answered.
    async fn write_accounts<T: Send + 'static>(
        &self,
        work: impl for<'t> FnOnce(&'t mut writer::PgTx) -> writer::JobFuture<'t, T> + Send + 'static,
    ) -> StoreResult<T> {
        let result = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    let done = work(&mut *tx).await?;
                    changes::notify_accounts(tx);
                    Ok(done)
                })
            })
            .await;
        self.accounts.bump();
        result
    }

    /// A connection for one read.
    async fn read(&self) -> StoreResult<Object> {
        connect::get(&self.readers, &self.read_metrics).await
    }
}

#[async_trait]
impl Store for PgStore {
    fn accounts_epoch(&self) -> Option<u64> {
        self.accounts.current()
    }

    fn healthy(&self) -> bool {
        self.writer.is_running()
    }

    fn changes(&self) -> tokio::sync::broadcast::Receiver<SecretChange> {
        self.changes.subscribe()
    }

    async fn init(&self, org: &str, admin: &str, token: NewToken, at: Millis) -> StoreResult<UserRow> {
        let (org, admin) = (org.to_owned(), admin.to_owned());
        self.writer
            .write(move |tx| Box::pin(async move { accounts::init(tx, &org, &admin, token, at).await }))
            .await
    }

    async fn org(&self) -> StoreResult<Option<OrgRow>> {
        accounts::org(&*self.read().await?).await
    }

    async fn update_org(&self, members_can_reveal: bool, audit: NewAudit) -> StoreResult<OrgRow> {
        self.write_accounts(move |tx| Box::pin(accounts::update_org(tx, members_can_reveal, audit)))
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
            .write(move |tx| Box::pin(async move { accounts::create_user(tx, &name, role, enrolment, audit).await }))
            .await
    }

    async fn new_enrolment(&self, user_id: i64, enrolment: NewEnrolment, audit: NewAudit) -> StoreResult<()> {
        self.writer
            .write(move |tx| Box::pin(tokens::new_enrolment(tx, user_id, enrolment, audit)))
            .await
    }

    async fn enroll(&self, code: &TokenHash, token: NewToken, audit: NewAudit) -> StoreResult<EnrolOutcome> {
        let code = *code;
        // Anyone may call enrolment: an unknown code (a guess) is answered from a read, so that a
        // flood of guesses never queues on the writer nor takes the audit chain's lock.
        if !tokens::enrolment_exists(&*self.read().await?, &code).await? {
            return Ok(EnrolOutcome::Unknown);
        }
        self.writer
            .write(move |tx| Box::pin(async move { tokens::enroll(tx, &code, token, audit).await }))
            .await
    }

    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRow>> {
        accounts::user_by_name(&*self.read().await?, name).await
    }

    async fn list_users(&self, at: Millis) -> StoreResult<Vec<UserSummary>> {
        accounts::list_users(&*self.read().await?, at).await
    }

    async fn update_user(&self, name: &str, patch: UserPatch, audit: NewAudit) -> StoreResult<UserRow> {
        let name = name.to_owned();
        self.write_accounts(move |tx| Box::pin(async move { accounts::update_user(tx, &name, patch, audit).await }))
            .await
    }

    async fn token_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<(TokenRow, UserRow)>> {
        tokens::token_by_hash(&*self.read().await?, hash).await
    }

    async fn create_token(&self, token: NewToken, audit: NewAudit) -> StoreResult<TokenRow> {
        self.writer
            .write(move |tx| Box::pin(tokens::create_token(tx, token, audit)))
            .await
    }

    async fn list_tokens(&self, user_id: i64) -> StoreResult<Vec<TokenRow>> {
        tokens::list_tokens(&*self.read().await?, user_id).await
    }

    async fn revoke_token(&self, user_id: i64, token_id: &str, audit: NewAudit) -> StoreResult<Vec<String>> {
        let token_id = token_id.to_owned();
        self.write_accounts(move |tx| {
            Box::pin(async move { tokens::revoke_token(tx, user_id, &token_id, audit).await })
        })
        .await
    }

    async fn revoke_user_tokens(&self, user_id: i64, audit: NewAudit) -> StoreResult<Vec<String>> {
        self.write_accounts(move |tx| Box::pin(tokens::revoke_user_tokens(tx, user_id, audit)))
            .await
    }

    async fn touch_tokens(&self, uses: Vec<(String, Millis)>) -> StoreResult<()> {
        if uses.is_empty() {
            return Ok(());
        }
        self.writer
            .write(move |tx| Box::pin(async move { tokens::touch_tokens(tx, &uses).await }))
            .await
    }

    async fn get_secret(&self, owner: Owner, name: &str) -> StoreResult<Option<SecretRow>> {
        secrets::get_secret(&*self.read().await?, owner, name).await
    }

    async fn list_secrets(&self, filter: &SecretFilter) -> StoreResult<Vec<SecretRow>> {
        secrets::list_secrets(&*self.read().await?, filter).await
    }

    // The four writes that change a secret send their change's hint in their own transaction
    // (`changes.rs`): it goes out if and only if the change commits.

    async fn write_secret(&self, write: SecretWrite, audit: NewAudit) -> StoreResult<SecretRow> {
        let (created, at) = (write.expected.is_none(), audit.at);
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    let row = secrets::write_secret(tx, write, audit).await?;
                    changes::notify(tx, &SecretChange::written(&row, created, at))?;
                    Ok(row)
                })
            })
            .await
    }

    async fn write_secret_latest(
        &self,
        write: SecretWrite,
        reseal: Reseal,
        audit: NewAudit,
    ) -> StoreResult<(SecretRow, bool)> {
        let at = audit.at;
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    let (row, created) = secrets::write_secret_latest(tx, write, reseal, audit).await?;
                    changes::notify(tx, &SecretChange::written(&row, created, at))?;
                    Ok((row, created))
                })
            })
            .await
    }

    async fn update_secret(
        &self,
        owner: Owner,
        name: &str,
        patch: MetaPatch,
        audit: NewAudit,
    ) -> StoreResult<SecretRow> {
        let (name, at) = (name.to_owned(), audit.at);
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    let row = secrets::update_secret(tx, owner, &name, patch, audit).await?;
                    changes::notify(tx, &SecretChange::updated(&row, at))?;
                    Ok(row)
                })
            })
            .await
    }

    async fn delete_secret(&self, owner: Owner, name: &str, audit: NewAudit) -> StoreResult<()> {
        let (name, at) = (name.to_owned(), audit.at);
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    secrets::delete_secret(tx, owner, &name, audit).await?;
                    changes::notify(tx, &SecretChange::deleted(owner, &name, at))
                })
            })
            .await
    }

    async fn versions(&self, secret_id: i64) -> StoreResult<Vec<VersionRow>> {
        secrets::versions(&*self.read().await?, secret_id).await
    }

    async fn version(&self, secret_id: i64, version: i64) -> StoreResult<Option<VersionRow>> {
        secrets::version(&*self.read().await?, secret_id, version).await
    }

    async fn secret_with_version(
        &self,
        owners: &[Owner],
        name: &str,
        version: Option<i64>,
    ) -> StoreResult<Option<(SecretRow, Option<VersionRow>)>> {
        secrets::secret_with_version(&*self.read().await?, owners, name, version).await
    }

    async fn deliverable(&self, owners: &[Owner], scope: Option<Scope>) -> StoreResult<Vec<(SecretRow, String)>> {
        secrets::deliverable(&*self.read().await?, owners, scope).await
    }

    async fn record_use(&self, secret_ids: &[i64], at: Millis, audits: Vec<NewAudit>) -> StoreResult<()> {
        let ids = secret_ids.to_vec();
        self.writer
            .write_buffered(move |tx| Box::pin(async move { secrets::record_use(tx, &ids, at, audits) }))
            .await
    }

    async fn append_audit(&self, audits: Vec<NewAudit>) -> StoreResult<()> {
        if audits.is_empty() {
            return Ok(());
        }
        self.writer
            .write_buffered(move |tx| Box::pin(async move { tx.append_audits(audits) }))
            .await
    }

    async fn list_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        audit::list_audit(&*self.read().await?, filter).await
    }

    async fn audit_range(&self, after_id: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
        audit::audit_range(&*self.read().await?, after_id, limit).await
    }

    async fn audit_chain_key(&self) -> StoreResult<Option<ChainKeyRecord>> {
        audit::chain_key(&*self.read().await?).await
    }

    async fn key_audit_chain(&self, record: ChainKeyRecord) -> StoreResult<ChainKeyRecord> {
        self.writer
            .write_reading_audit(move |tx| Box::pin(audit::key_chain(tx, record)))
            .await
    }

    async fn reseal_audit_chain_key(&self, old: &str, new: &str) -> StoreResult<bool> {
        let (old, new) = (old.to_owned(), new.to_owned());
        self.writer
            .write(move |tx| Box::pin(async move { audit::reseal_chain_key(tx, &old, &new).await }))
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

    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        self.writer.metrics().register(registry);
        self.read_metrics.register(registry);
    }

    async fn sealed_not_under(&self, key_id: &str, after: (i64, i64), limit: u32) -> StoreResult<Vec<SealedRow>> {
        sealing::sealed_not_under(&*self.read().await?, key_id, after, limit).await
    }

    async fn sealed_legacy(&self, after: (i64, i64), limit: u32) -> StoreResult<Vec<SealedRow>> {
        sealing::sealed_legacy(&*self.read().await?, after, limit).await
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
            .write(move |tx| {
                Box::pin(async move { sealing::replace_sealed(tx, secret_id, version, &old, &new, &preview).await })
            })
            .await
    }

    async fn sealing_state(&self) -> StoreResult<SealingState> {
        sealing::sealing_state(&*self.read().await?).await
    }

    async fn retire_legacy_sealing(&self) -> StoreResult<bool> {
        self.writer
            .write(|tx| Box::pin(sealing::retire_legacy_sealing(tx)))
            .await
    }
}
