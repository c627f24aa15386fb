//! Change events across replicas (`Store::changes`): LISTEN/NOTIFY.
//!
//! A job that changes a secret sends a NOTIFY on `CHANNEL` inside its own transaction, so the
//! hint goes out when, and only if, the change commits (a savepoint rolled back takes its NOTIFY
//! with it), whichever replica wrote. Every replica LISTENs on a connection of its own, never a
//! pooled one (a pooled connection would hand its notifications to whoever holds it). A
//! notification is a hint, not data: it names the secret and what happened; the listener reads
//! the secret's current row and announces what is stored, so a forged or stale hint announces
//! nothing that is not true, and never a value (the payload holds none).
//!
//! Account changes (a token revoked, a user disabled or demoted, the org settings) travel on the
//! same channel as the payload `ACCOUNTS`: each moves the accounts epoch on, which drops what the
//! authentication cache holds (`store/accounts_epoch.rs`).
//!
//! When the listening connection is lost, notifications sent meanwhile are lost with it: the
//! listener then replaces its broadcast sender, so that every subscriber sees its channel closed,
//! subscribes again and re-reads its state (`resync` on `/v1/events`). It does so again once it
//! listens anew, and reconnects with backoff and jitter in between.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use deadpool_postgres::Pool;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio_postgres::{AsyncMessage, NoTls};

use super::error::map;
use super::secrets;
use super::writer::PgTx;
use crate::store::{
    AccountsEpoch, AuditAction, CHANGES_CAPACITY, Owner, PoolMetrics, SecretChange, StoreError, StoreResult,
};

/// The NOTIFY channel every replica listens on.
const CHANNEL: &str = "vaultty_changes";

/// The payload of an account change: not a JSON hint, so never mistaken for one.
const ACCOUNTS: &str = "accounts";

/// The longest pause between two attempts to listen again.
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// What a NOTIFY carries: the secret (owner id and name), what happened, and when. Short keys:
/// PostgreSQL limits a payload to 8,000 bytes, and a name is at most 128.
#[derive(Serialize, Deserialize)]
struct Hint {
    o: i64,
    n: String,
    a: String,
    t: i64,
}

/// Sends the hint for `change` when the job's transaction commits (held with the batch's rows).
pub(super) fn notify(tx: &mut PgTx, change: &SecretChange) -> StoreResult<()> {
    let hint = Hint {
        o: change.owner.db_id(),
        n: change.name.clone(),
        a: change.action.as_str().to_owned(),
        t: change.at,
    };
    let payload =
        serde_json::to_string(&hint).map_err(|e| StoreError::Backend(format!("cannot encode a change hint: {e}")))?;
    tx.notice(payload);
    Ok(())
}

/// Tells every replica, when the job's transaction commits, that accounts changed.
pub(super) fn notify_accounts(tx: &mut PgTx) {
    tx.notice(ACCOUNTS.to_owned());
}

/// The listener: its task, and the sender subscribers subscribe to.
pub(super) struct Listener {
    sender: Arc<Mutex<broadcast::Sender<SecretChange>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener {
    /// Listens before returning, so that a change committed after `open` is heard.
    pub(super) async fn start(
        config: tokio_postgres::Config,
        readers: Pool,
        accounts: Arc<AccountsEpoch>,
    ) -> StoreResult<Listener> {
        let listening = listen(&config).await?;
        let sender = Arc::new(Mutex::new(broadcast::Sender::new(CHANGES_CAPACITY)));
        let task = tokio::spawn(run(config, readers, Arc::clone(&sender), accounts, listening));
        Ok(Listener { sender, task })
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<SecretChange> {
        self.sender.lock().unwrap_or_else(PoisonError::into_inner).subscribe()
    }
}

/// A connection of its own that LISTENs on `CHANNEL`: its client (the connection lives as long
/// as it does) and its notifications' payloads, which end when the connection does.
async fn listen(
    config: &tokio_postgres::Config,
) -> StoreResult<(tokio_postgres::Client, mpsc::UnboundedReceiver<String>)> {
    let (client, mut connection) = config.connect(NoTls).await.map_err(map)?;
    let (send, receive) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        // Polling the connection is what drives it: the LISTEN below, and every notification.
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message
                && n.channel() == CHANNEL
                && send.send(n.payload().to_owned()).is_err()
            {
                break;
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await.map_err(map)?;
    Ok((client, receive))
}

async fn run(
    config: tokio_postgres::Config,
    readers: Pool,
    sender: Arc<Mutex<broadcast::Sender<SecretChange>>>,
    accounts: Arc<AccountsEpoch>,
    mut listening: (tokio_postgres::Client, mpsc::UnboundedReceiver<String>),
) {
    let metrics = PoolMetrics::default();
    let renew = || {
        // Subscribers see their channel closed, subscribe again, and re-read.
        *sender.lock().unwrap_or_else(PoisonError::into_inner) = broadcast::Sender::new(CHANGES_CAPACITY);
    };
    loop {
        while let Some(payload) = listening.1.recv().await {
            if payload == ACCOUNTS {
                accounts.bump();
                continue;
            }
            if let Some(change) = reread(&readers, &metrics, &payload).await {
                let current = sender.lock().unwrap_or_else(PoisonError::into_inner).clone();
                let _ = current.send(change);
            }
        }
        tracing::warn!("lost the PostgreSQL connection that listens for changes; listening again");
        // Until it listens again, another replica's revocation would go unheard: nothing about
        // accounts is kept meanwhile.
        accounts.set_deaf(true);
        renew();
        let mut pause = Duration::from_millis(100);
        listening = loop {
            tokio::time::sleep(jitter(pause)).await;
            match listen(&config).await {
                Ok(l) => break l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for changes yet");
                    pause = (pause * 2).min(BACKOFF_MAX);
                }
            }
        };
        accounts.set_deaf(false);
        renew();
    }
}

/// `pause`, give or take a quarter, so that replicas that lost the database together do not all
/// come back at the same instant.
fn jitter(pause: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let quarter = pause / 4;
    pause - quarter + quarter * (nanos % 1000) / 500
}

/// The change a hint announces, as the database now has it; `None` for a payload that is not a
/// hint, or when the row cannot be read (then nothing is announced: subscribers keep what they
/// have, and the next change or resync corrects it).
async fn reread(readers: &Pool, metrics: &PoolMetrics, payload: &str) -> Option<SecretChange> {
    let hint: Hint = serde_json::from_str(payload).ok()?;
    let said: AuditAction = hint.a.parse().ok()?;
    let owner = Owner::from_db_id(hint.o);
    let conn = super::connect::get(readers, metrics).await.ok()?;
    let row = secrets::get_secret(&conn, owner, &hint.n).await.ok()?;
    Some(match row {
        None => SecretChange::deleted(owner, &hint.n, hint.t),
        Some(row) => {
            let action = match said {
                // Gone, then made again since: what is stored now was created.
                AuditAction::Delete => AuditAction::Create,
                AuditAction::Create | AuditAction::Rotate | AuditAction::Update => said,
                _ => return None,
            };
            SecretChange {
                owner,
                name: row.name.to_string(),
                version: Some(row.version),
                action,
                at: hint.t,
                scope: Some(row.scope),
            }
        }
    })
}
