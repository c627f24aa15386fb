//! Identity: who the caller is, users, tokens and the org.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::secret::str_enum;
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
}

/// Answer of `POST /v1/users`: the token is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedUser {
    pub user: String,
    pub role: Role,
    #[serde(serialize_with = "secret_serde::serialize")]
    #[schema(value_type = String)]
    pub token: SecretString,
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
    /// Lifetime in seconds, at most 100 years; no expiry when omitted.
    #[serde(
        rename = "expiresIn",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json_integer::option_u64"
    )]
    #[schema(minimum = 1, maximum = 3_153_600_000_u64)]
    pub expires_in: Option<u64>,
}

/// Answer of `POST /v1/tokens`: the token is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    pub id: String,
    #[serde(serialize_with = "secret_serde::serialize")]
    #[schema(value_type = String)]
    pub token: SecretString,
}

/// A token's metadata; never the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
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
