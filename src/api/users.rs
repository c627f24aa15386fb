//! Identity: who the caller is, users, tokens and the org.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::secret::{Scope, str_enum};
use super::secret_serde;
use super::timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    #[default]
    Member,
}

str_enum!(Role { Admin => "admin", Member => "member" });

/// Answer of `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub user: String,
    pub org: String,
    pub role: Role,
}

/// `GET /v1/org` and the body of `PATCH /v1/org`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrgInfo {
    pub name: String,
    pub members_can_reveal: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchOrg {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_can_reveal: Option<bool>,
}

/// Body of `POST /v1/users`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(pattern = r"^[a-z][a-z0-9_.-]{0,63}$")]
    pub name: String,
    #[serde(default)]
    pub role: Role,
    /// How long the enrolment code stays usable, in seconds: 24 hours when omitted, at most 30 days.
    #[serde(
        rename = "expiresIn",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json_integer::option_u64"
    )]
    #[schema(minimum = 1, maximum = 2_592_000_u64)]
    pub expires_in: Option<u64>,
}

/// Body of `POST /v1/users/{name}/enrolment`: a new code for a user who has not enrolled yet.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnrolment {
    /// As in `CreateUser`.
    #[serde(
        rename = "expiresIn",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json_integer::option_u64"
    )]
    #[schema(minimum = 1, maximum = 2_592_000_u64)]
    pub expires_in: Option<u64>,
}

/// Answer of `POST /v1/users` and `POST /v1/users/{name}/enrolment`: a single-use enrolment
/// code, shown this once, that the new member exchanges for their first token
/// (`POST /v1/enroll`). The admin never holds the member's token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Enrolment {
    pub user: String,
    pub role: Role,
    #[serde(serialize_with = "secret_serde::serialize")]
    #[schema(value_type = String)]
    pub code: SecretString,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

/// Body of `POST /v1/enroll` (no token).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    #[serde(serialize_with = "secret_serde::serialize")]
    #[schema(value_type = String)]
    pub code: SecretString,
}

/// Answer of `POST /v1/enroll`: the user's first token, shown this once. It has no expiry and
/// no parent; the user revokes it like any other.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Enrolled {
    pub user: String,
    pub org: String,
    pub role: Role,
    /// The token's public id (`tok_…`).
    pub id: String,
    #[serde(serialize_with = "secret_serde::serialize")]
    #[schema(value_type = String)]
    pub token: SecretString,
}

/// A user as an admin sees them (`GET /v1/users`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    /// A disabled user's tokens answer 401; their secrets stay as they are.
    pub disabled: bool,
    /// False until the user has exchanged an enrolment code for a token.
    pub enrolled: bool,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// The last time one of the user's tokens was used; null when never.
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<OffsetDateTime>,
    /// Live tokens: neither revoked nor expired.
    pub tokens: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserInfo>,
}

/// Body of `PATCH /v1/users/{name}` (admin): what to change; an omitted field stays as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// Answer of `DELETE /v1/users/{name}/tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RevokedTokens {
    /// How many live tokens were revoked.
    pub revoked: u32,
}

/// Body of `POST /v1/tokens`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// 1 to 64 characters, not all whitespace (the pattern asks for one character that is not
    /// Unicode White_Space, which is what the server trims).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// Lifetime in seconds, at most 100 years. A token never outlives the token that creates it:
    /// a longer lifetime is capped at the creating token's expiry, and an omitted one means
    /// "as long as the creating token" (no expiry only when that one has none).
    #[serde(
        rename = "expiresIn",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json_integer::option_u64"
    )]
    #[schema(minimum = 1, maximum = 3_153_600_000_u64)]
    pub expires_in: Option<u64>,
    /// `user` (the default) or `runner`: a delivery-only token, bound to `scope` and a namespace,
    /// that may call `POST /v1/env` and `GET /v1/events` and nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TokenKind>,
    /// A runner token's scope (required for `runner`, refused for `user`): it is delivered the
    /// secrets whose scope is `all` or this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// A runner token's namespace: true for the org's (admins only), false or omitted for the
    /// caller's own. Refused for `user`.
    #[serde(rename = "orgWide", default, skip_serializing_if = "Option::is_none")]
    pub org_wide: Option<bool>,
}

impl CreateToken {
    /// A user token named `name`.
    pub fn user(name: impl Into<String>, expires_in: Option<u64>) -> CreateToken {
        CreateToken {
            name: name.into(),
            expires_in,
            kind: None,
            scope: None,
            org_wide: None,
        }
    }
}

/// Answer of `POST /v1/tokens`: the token is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    pub id: String,
    #[serde(serialize_with = "secret_serde::serialize")]
    #[schema(value_type = String)]
    pub token: SecretString,
    /// When it expires (after capping at the creating token's expiry); null for never.
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    /// The id of the token that created it.
    pub parent: Option<String>,
}

/// What kind of token: `user` for a person's (or a script's) token acting as its user (`vt_…`);
/// `runner` for a delivery-only token bound to a scope and a namespace (`vr_…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    #[default]
    User,
    Runner,
}

str_enum!(TokenKind { User => "user", Runner => "runner" });

/// A token's metadata; never the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub kind: TokenKind,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    /// Null when never used.
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
    /// The id of the token that created this one; null for a token made by `admin init` or by
    /// enrolment (and for tokens made before lineage was recorded). Revoking a token revokes
    /// every token it created, transitively.
    pub parent: Option<String>,
    /// Whether this is the token of the request that lists it.
    pub current: bool,
    /// A runner token's scope; null for a user token.
    pub scope: Option<Scope>,
    /// A runner token's namespace: true for the org's, false for its user's own (and for every
    /// user token).
    pub org_wide: bool,
}

impl TokenInfo {
    /// What a runner token delivers, in the words the CLI's RUNNER column and the TUI's Tokens view
    /// both show: `org agents`, `own tools`; empty for a user token.
    pub fn runner_binding(&self) -> String {
        match (self.kind, self.scope) {
            (TokenKind::Runner, Some(scope)) => format!("{} {scope}", if self.org_wide { "org" } else { "own" }),
            (TokenKind::Runner, None) => "runner".into(),
            (TokenKind::User, _) => String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
}
