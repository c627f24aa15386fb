//! Audit events as the API shows them.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::secret::{Visibility, str_enum};
use super::timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Create,
    Rotate,
    Update,
    Delete,
    Reveal,
    Env,
    TokenCreate,
    TokenRevoke,
    UserCreate,
    /// A new enrolment code for a user who has not enrolled yet.
    UserEnrolment,
    /// An enrolment code exchanged for a user's first token (denied: a used, expired or
    /// disabled user's code).
    Enroll,
    UserDisable,
    UserEnable,
    /// A member made admin.
    UserPromote,
    /// An admin made member.
    UserDemote,
    /// A listing of users or of another user's tokens; recorded only when denied.
    UserList,
    OrgUpdate,
    AuthFailed,
    /// A runner token used on an operation other than delivery (`POST /v1/env`) and change
    /// events; always denied, target the operation (`GET /v1/secrets`).
    RunnerRefused,
}

str_enum!(AuditAction {
    Create => "create",
    Rotate => "rotate",
    Update => "update",
    Delete => "delete",
    Reveal => "reveal",
    Env => "env",
    TokenCreate => "token_create",
    TokenRevoke => "token_revoke",
    UserCreate => "user_create",
    UserEnrolment => "user_enrolment",
    Enroll => "enroll",
    UserDisable => "user_disable",
    UserEnable => "user_enable",
    UserPromote => "user_promote",
    UserDemote => "user_demote",
    UserList => "user_list",
    OrgUpdate => "org_update",
    AuthFailed => "auth_failed",
    RunnerRefused => "runner_refused",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Denied,
}

str_enum!(Outcome { Ok => "ok", Denied => "denied" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub actor: Option<String>,
    pub action: AuditAction,
    pub secret: Option<String>,
    pub visibility: Option<Visibility>,
    pub version: Option<i64>,
    pub outcome: Outcome,
    /// The request's User-Agent, so a TUI reveal can be told from a script's.
    pub client: Option<String>,
    pub ip: Option<String>,
    /// What an account action acted on: the user's name (`user_*`, `enroll`) or the token's id
    /// (`token_*`). Null for secret actions, which name the secret instead.
    pub target: Option<String>,
    /// How many events this row stands for when more than one: failed authentications are
    /// recorded as one row per client address and minute. Absent means one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditList {
    pub events: Vec<AuditEvent>,
}

/// Query of `GET /v1/audit`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub secret: Option<String>,
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    /// Default 100, at most 1000.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Only events older than this event id.
    pub before: Option<i64>,
}

impl fmt::Display for AuditEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            timestamp::format(self.at),
            self.actor.as_deref().unwrap_or("-"),
            self.action,
            self.secret.as_deref().or(self.target.as_deref()).unwrap_or("-")
        )
    }
}
