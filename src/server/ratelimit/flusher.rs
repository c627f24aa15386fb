//! Writes the summarised `auth_failed` rows whose window is over, once a second, and everything
//! still pending when the server stops gracefully; and, on the same beat, the tokens' pending
//! `last_used_at` (`Vault::flush_token_use`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{AuthFailures, FailureRow};
use crate::vault::{FailedAuths, Vault};

/// How often pending rows are looked at: a row is written at most this late after its window.
const TICK: Duration = Duration::from_secs(1);

pub struct Flusher {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Flusher {
    pub fn spawn(failures: Arc<AuthFailures>, vault: Vault) -> Flusher {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let force = tokio::select! {
                    _ = tick.tick() => false,
                    _ = &mut stopped => true,
                };
                write(&vault, failures.take_due(vault.now_millis(), force)).await;
                if let Err(e) = vault.flush_token_use().await {
                    // Bookkeeping only: the uses stay pending and go with the next tick.
                    tracing::warn!(error = %e, "could not record when tokens were last used");
                }
                if force {
                    break;
                }
            }
        });
        Flusher { stop, task }
    }

    /// Writes what is pending and stops; for graceful shutdown, after the last request.
    pub async fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

pub async fn write(vault: &Vault, rows: Vec<FailureRow>) {
    if rows.is_empty() {
        return;
    }
    let failures: u64 = rows.iter().map(|r| u64::from(r.count)).sum();
    let rows = rows.into_iter().map(failed_auths).collect();
    if let Err(e) = vault.record_auth_failures(rows).await {
        // Nothing to answer: the requests were answered already. The operator learns the count.
        tracing::error!(error = %e, failures, "could not write summarised auth_failed rows");
    }
}

pub fn failed_auths(row: FailureRow) -> FailedAuths {
    FailedAuths {
        ip: row.ip.map(|ip| ip.to_string()),
        client: row.client,
        count: row.count,
        at: row.at,
    }
}
