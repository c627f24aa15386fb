//! Rows to wire types, and the clock's milliseconds to timestamps.

use time::OffsetDateTime;

use crate::api::{AuditEvent, OrgInfo, SecretMeta, TokenInfo, UserInfo, VersionInfo};
use crate::store::{AuditRow, Millis, OrgRow, SecretRow, TokenRow, UserSummary, VersionRow};

pub(crate) fn ts(ms: Millis) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn org(o: OrgRow) -> OrgInfo {
    OrgInfo {
        name: o.name,
        members_can_reveal: o.members_can_reveal,
    }
}

pub(crate) fn meta(r: &SecretRow) -> SecretMeta {
    into_meta(r.clone())
}

/// `meta` for a row no longer needed: its strings move instead of being copied (a listing
/// converts thousands of rows).
pub(crate) fn into_meta(r: SecretRow) -> SecretMeta {
    SecretMeta {
        visibility: r.owner.visibility(),
        name: r.name,
        category: r.category,
        scope: r.scope,
        owner: r.owner_name,
        description: r.description,
        preview: r.preview,
        version: r.version,
        revealable: r.revealable,
        created_at: ts(r.created_at),
        rotated_at: r.rotated_at.map(ts),
        last_used_at: r.last_used_at.map(ts),
        created_by: r.created_by,
        rotated_by: r.rotated_by,
        provider: r.provider,
    }
}

pub(crate) fn version(v: &VersionRow) -> VersionInfo {
    VersionInfo {
        version: v.version,
        created_at: ts(v.created_at),
        created_by: v.created_by.clone(),
        preview: v.preview.clone(),
    }
}

pub(crate) fn audit(row: &AuditRow) -> AuditEvent {
    let e = &row.event;
    AuditEvent {
        id: row.id,
        at: ts(e.at),
        actor: e.actor.clone(),
        action: e.action,
        secret: e.secret.clone(),
        visibility: e.visibility,
        version: e.version,
        outcome: e.outcome,
        client: e.client.clone(),
        ip: e.ip.clone(),
        target: e.target.clone(),
        count: e.count,
    }
}

/// `last_used_at` is passed in: the vault may know a later use than the stored one.
pub(crate) fn token(t: &TokenRow, last_used_at: Option<Millis>, current: bool) -> TokenInfo {
    TokenInfo {
        id: t.id.clone(),
        name: t.name.clone(),
        kind: t.kind,
        created_at: ts(t.created_at),
        expires_at: t.expires_at.map(ts),
        last_used_at: last_used_at.map(ts),
        parent: t.parent_id.clone(),
        current,
        scope: t.scope,
        org_wide: t.org_wide,
    }
}

pub(crate) fn user(u: UserSummary, last_seen_at: Option<Millis>) -> UserInfo {
    UserInfo {
        name: u.user.name,
        role: u.user.role,
        disabled: u.user.disabled,
        enrolled: u.enrolled,
        created_at: ts(u.user.created_at),
        last_seen_at: last_seen_at.map(ts),
        tokens: u.live_tokens,
    }
}
