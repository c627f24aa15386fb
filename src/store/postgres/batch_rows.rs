//! The rows a batch writes once, at its end: its audit events, the secrets' last-use times, and
//! the change notifications its jobs send (`changes.rs`).
//!
//! Every reveal and delivery appends an audit event and moves `last_used_at`: as statements of
//! their own that would be two round trips per request, each waiting on the one before it, while
//! the batch holds the chain's lock every replica queues on. Kept here instead, they go in at the
//! batch's commit as one multi-row INSERT and one UPDATE, in the same transaction: still
//! committed with the change they describe, never without it. The notifications likewise go as
//! one `pg_notify` statement at the end: PostgreSQL delivers a NOTIFY at its transaction's
//! commit wherever in the transaction it was sent. A job that fails takes its rows and its
//! notifications back (`truncate`), as its savepoint takes back its statements.

use std::collections::HashMap;

use deadpool_postgres::ClientWrapper;

use super::error::map;
use crate::store::{AuditRow, Millis, StoreResult, Visibility};

#[derive(Default)]
pub(super) struct BatchRows {
    audits: Vec<AuditRow>,
    uses: Vec<(i64, Millis)>,
    /// Payloads for the `vaultty_changes` channel.
    notices: Vec<String>,
}

/// How many rows of each kind there were: a job's starting point, to take its rows back.
#[derive(Clone, Copy)]
pub(super) struct Mark {
    audits: usize,
    uses: usize,
    notices: usize,
}

impl BatchRows {
    pub(super) fn push_audit(&mut self, row: AuditRow) {
        self.audits.push(row);
    }

    pub(super) fn push_uses(&mut self, secret_ids: &[i64], at: Millis) {
        self.uses.extend(secret_ids.iter().map(|id| (*id, at)));
    }

    /// A notification to send on `vaultty_changes` when the batch commits.
    pub(super) fn push_notice(&mut self, payload: String) {
        self.notices.push(payload);
    }

    pub(super) fn mark(&self) -> Mark {
        Mark {
            audits: self.audits.len(),
            uses: self.uses.len(),
            notices: self.notices.len(),
        }
    }

    /// Drops the rows pushed since `mark`.
    pub(super) fn truncate(&mut self, mark: Mark) {
        self.audits.truncate(mark.audits);
        self.uses.truncate(mark.uses);
        self.notices.truncate(mark.notices);
    }

    /// Inserts the audit events held so far (a job about to read the audit table sees them).
    pub(super) async fn flush_audits(&mut self, c: &ClientWrapper) -> StoreResult<()> {
        if self.audits.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.audits);
        let st = c
            .prepare_cached(
                "INSERT INTO audit (id, at, actor, action, secret, visibility, owner, version, outcome, \
                 client, ip, prev_hash, hash, count, target) \
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], \
                 $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bytea[], \
                 $13::bytea[], $14::bigint[], $15::text[])",
            )
            .await
            .map_err(map)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let at: Vec<i64> = rows.iter().map(|r| r.event.at).collect();
        let actor: Vec<Option<&str>> = rows.iter().map(|r| r.event.actor.as_deref()).collect();
        let action: Vec<&str> = rows.iter().map(|r| r.event.action.as_str()).collect();
        let secret: Vec<Option<&str>> = rows.iter().map(|r| r.event.secret.as_deref()).collect();
        let visibility: Vec<Option<&str>> = rows
            .iter()
            .map(|r| r.event.visibility.map(Visibility::as_str))
            .collect();
        let owner: Vec<Option<&str>> = rows.iter().map(|r| r.event.owner.as_deref()).collect();
        let version: Vec<Option<i64>> = rows.iter().map(|r| r.event.version).collect();
        let outcome: Vec<&str> = rows.iter().map(|r| r.event.outcome.as_str()).collect();
        let client: Vec<Option<&str>> = rows.iter().map(|r| r.event.client.as_deref()).collect();
        let ip: Vec<Option<&str>> = rows.iter().map(|r| r.event.ip.as_deref()).collect();
        let prev: Vec<&[u8]> = rows.iter().map(|r| &r.prev_hash[..]).collect();
        let hash: Vec<&[u8]> = rows.iter().map(|r| &r.hash[..]).collect();
        let count: Vec<Option<i64>> = rows.iter().map(|r| r.event.count.map(i64::from)).collect();
        let target: Vec<Option<&str>> = rows.iter().map(|r| r.event.target.as_deref()).collect();
        c.execute(
            &st,
            &[
                &ids,
                &at,
                &actor,
                &action,
                &secret,
                &visibility,
                &owner,
                &version,
                &outcome,
                &client,
                &ip,
                &prev,
                &hash,
                &count,
                &target,
            ],
        )
        .await
        .map_err(map)?;
        Ok(())
    }

    /// Writes everything held: the uses (each secret's latest, never moving one back), the
    /// notifications (in the order sent), then the audit events.
    pub(super) async fn flush(&mut self, c: &ClientWrapper) -> StoreResult<()> {
        if !self.notices.is_empty() {
            let notices = std::mem::take(&mut self.notices);
            let st = c
                .prepare_cached(
                    "SELECT pg_notify('vaultty_changes', n) FROM unnest($1::text[]) WITH ORDINALITY AS t(n, i) ORDER BY i",
                )
                .await
                .map_err(map)?;
            c.execute(&st, &[&notices]).await.map_err(map)?;
        }
        if !self.uses.is_empty() {
            // One row per secret: an UPDATE … FROM takes one arbitrary match per row.
            let mut latest: HashMap<i64, Millis> = HashMap::with_capacity(self.uses.len());
            for (id, at) in self.uses.drain(..) {
                let entry = latest.entry(id).or_insert(at);
                *entry = (*entry).max(at);
            }
            let (ids, times): (Vec<i64>, Vec<Millis>) = latest.into_iter().unzip();
            let st = c
                .prepare_cached(
                    "UPDATE secrets s SET last_used_at = u.at \
                     FROM unnest($1::bigint[], $2::bigint[]) AS u(id, at) \
                     WHERE s.id = u.id AND (s.last_used_at IS NULL OR s.last_used_at < u.at)",
                )
                .await
                .map_err(map)?;
            c.execute(&st, &[&ids, &times]).await.map_err(map)?;
        }
        self.flush_audits(c).await
    }
}
