//! Runs the commands `update` returns: HTTP calls in spawned tasks (the only place the TUI
//! spawns), clipboard copies and clears and generated values on the spot, each answered with a
//! [`Reply`] on the results channel.
//!
//! The clipboard handle and the receipt of the last copy live here, so the app never holds a copy
//! receipt or a clipboard: it decides *when* to clear, this decides *what* (the latest copy only).
//!
//! So does the one subscription to changes ([`subscription`]): a task of its own, stopped when a
//! new one starts and when the app closes.

mod subscription;

use std::future::Future;

use time::OffsetDateTime;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::app::{AccountOp, AccountOutcome, CallError, ClearResult, Command, CopyInfo, Msg, Reply, WriteOp};
use super::config::ClipboardChoice;
use crate::api::{AuditQuery, ListQuery};
use crate::client::{ClientError, VaultClient};
use crate::clipboard::{ClearOutcome, Clipboard, ClipboardMode, CopyReceipt};

/// How many audit events the audit pane loads.
const AUDIT_EVENTS: u32 = 200;

pub struct Tasks {
    client: VaultClient,
    tx: UnboundedSender<Msg>,
    /// The clipboard, or why there is none (said when a copy is attempted).
    clipboard: Result<Clipboard, String>,
    receipt: Option<CopyReceipt>,
    subscription: Option<JoinHandle<()>>,
}

impl Drop for Tasks {
    fn drop(&mut self) {
        if let Some(task) = self.subscription.take() {
            task.abort();
        }
    }
}

impl Tasks {
    pub fn new(client: VaultClient, tx: UnboundedSender<Msg>, choice: ClipboardChoice) -> Tasks {
        let mode = match choice {
            ClipboardChoice::Auto => ClipboardMode::Auto,
            ClipboardChoice::System => ClipboardMode::System,
            ClipboardChoice::Osc52 => ClipboardMode::Osc52,
            ClipboardChoice::Off => ClipboardMode::Off,
        };
        let clipboard = Clipboard::new(mode).map_err(|e| e.to_string());
        Tasks {
            client,
            tx,
            clipboard,
            receipt: None,
            subscription: None,
        }
    }

    /// Why copying cannot work, if it cannot.
    pub fn clipboard_problem(&self) -> Option<String> {
        match &self.clipboard {
            Err(why) => Some(why.clone()),
            Ok(clip) if clip.method() == crate::clipboard::Method::Off => {
                Some("the clipboard is off ([tui] clipboard = \"off\" in config.toml)".to_owned())
            }
            Ok(_) => None,
        }
    }

    fn send(&self, reply: Reply) {
        // The receiver only goes away when the app is closing; nothing is left to tell then.
        let _ = self.tx.send(Msg::from(reply));
    }

    fn spawn<F>(&self, call: F)
    where
        F: Future<Output = Reply> + Send + 'static,
    {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let reply = call.await;
            let _ = tx.send(Msg::from(reply));
        });
    }

    pub fn run(&mut self, cmd: Command) {
        let c = self.client.clone();
        match cmd {
            Command::LoadMe => self.spawn(async move { Reply::Me(c.me().await.map_err(call_error)) }),
            Command::LoadSecrets => self
                .spawn(async move { Reply::Secrets(c.list_secrets(&ListQuery::default()).await.map_err(call_error)) }),
            Command::LoadSecret(key) => self.spawn(async move {
                let result = c.get_secret(&key.name, key.org).await.map_err(call_error);
                Reply::Secret { key, result }
            }),
            Command::Refetch(key) => self.spawn(async move {
                let result = c.get_secret(&key.name, key.org).await.map_err(call_error);
                Reply::Refetched { key, result }
            }),
            Command::Subscribe => {
                if let Some(old) = self.subscription.take() {
                    old.abort();
                }
                self.subscription = Some(tokio::spawn(subscription::follow(c, self.tx.clone())));
            }
            Command::LoadVersions(key) => self.spawn(async move {
                let result = c.versions(&key.name, key.org).await.map_err(call_error);
                Reply::Versions { key, result }
            }),
            Command::LoadAudit => self.spawn(async move {
                let q = AuditQuery {
                    limit: Some(AUDIT_EVENTS),
                    ..AuditQuery::default()
                };
                Reply::Audit(c.audit(&q).await.map_err(call_error))
            }),
            Command::Reveal { key, purpose } => self.spawn(async move {
                let result = c.reveal(&key.name, key.org, None).await.map_err(call_error);
                Reply::Revealed {
                    key,
                    purpose,
                    result,
                    at: OffsetDateTime::now_utc(),
                }
            }),
            Command::Write { op, req } => self.spawn(async move {
                let result = c
                    .upsert_secret(&req)
                    .await
                    .map(|(meta, _created)| meta)
                    .map_err(call_error);
                Reply::Written { op, result }
            }),
            Command::Patch { key, patch } => self.spawn(async move {
                let result = c.patch_secret(&key.name, key.org, &patch).await.map_err(call_error);
                Reply::Written {
                    op: WriteOp::Edit(key),
                    result,
                }
            }),
            Command::Delete(key) => self.spawn(async move {
                let result = c.delete_secret(&key.name, key.org).await.map_err(call_error);
                Reply::Deleted { key, result }
            }),
            Command::LoadTokens => self.spawn(async move { Reply::Tokens(c.list_tokens().await.map_err(call_error)) }),
            Command::LoadUsers => self.spawn(async move { Reply::Users(c.list_users().await.map_err(call_error)) }),
            Command::LoadUserTokens(user) => self.spawn(async move {
                let result = c.user_tokens(&user).await.map_err(call_error);
                Reply::UserTokens { user, result }
            }),
            Command::Account(op) => self.spawn(async move {
                let result = match &op {
                    AccountOp::RevokeOwn { id, .. } => c.revoke_token(id).await.map(|()| AccountOutcome::Revoked),
                    AccountOp::RevokeUserToken { user, id, .. } => {
                        c.revoke_user_token(user, id).await.map(|()| AccountOutcome::Revoked)
                    }
                    AccountOp::RevokeAll { user } => c
                        .revoke_user_tokens(user)
                        .await
                        .map(|r| AccountOutcome::RevokedAll(r.revoked)),
                    AccountOp::Patch { user, patch } => {
                        c.patch_user(user, &patch.patch()).await.map(AccountOutcome::User)
                    }
                };
                Reply::AccountDone {
                    op,
                    result: result.map_err(call_error),
                }
            }),
            Command::Copy { label, value } => {
                let result = match &mut self.clipboard {
                    Ok(clip) => clip.copy(&value).map_err(|e| e.to_string()),
                    Err(why) => Err(why.clone()),
                };
                // `value` drops here: the clipboard has it now, this process no longer needs it.
                drop(value);
                let result = result.map(|receipt| {
                    let method = receipt.method();
                    self.receipt = Some(receipt);
                    CopyInfo {
                        method: method.to_string(),
                        verifiable: method.clear_is_verifiable(),
                    }
                });
                self.send(Reply::Copied {
                    label,
                    result,
                    at: OffsetDateTime::now_utc(),
                });
            }
            Command::ClearClipboard => {
                if let Some(result) = self.clear() {
                    self.send(Reply::Cleared(result));
                }
            }
            // The random source is I/O too: it stays out of `update`.
            Command::Generate { len, alphabet, ticket } => {
                self.send(Reply::Generated {
                    ticket,
                    value: crate::crypto::generate_value(len, alphabet),
                });
            }
        }
    }

    /// Clears the last copy if the clipboard still holds it. None when nothing is pending.
    pub fn clear(&mut self) -> Option<Result<ClearResult, String>> {
        let receipt = self.receipt.take()?;
        let clip = self.clipboard.as_mut().ok()?;
        Some(
            clip.clear_if_unchanged(&receipt)
                .map(|o| match o {
                    ClearOutcome::Cleared => ClearResult::Cleared,
                    ClearOutcome::ChangedSinceCopy => ClearResult::ChangedSinceCopy,
                    ClearOutcome::Unverifiable => ClearResult::Unverifiable,
                })
                .map_err(|e| e.to_string()),
        )
    }
}

/// Reduces a client error to what the app decides on, keeping the server's words. A 401 keeps
/// only them: the banner it raises says what to do next itself.
pub fn call_error(e: ClientError) -> CallError {
    match e {
        ClientError::Unauthorized(message) => CallError::new(crate::api::FailureClass::Unauthorized, message),
        e => CallError::new(e.class(), e.brief()),
    }
}
