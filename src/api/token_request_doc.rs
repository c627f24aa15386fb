//! The documented shape of `POST /v1/tokens`'s body: a user token's or a runner token's, as a
//! `oneOf` of two closed objects. The server reads [`super::CreateToken`], one struct with every
//! field; the document says which combinations it accepts, so that a schema-valid body is never
//! refused (a runner needs a scope; `scope` and `orgWide` belong to runners only) and a client
//! generated from the document cannot build one the server refuses. Documentation only: nothing
//! is ever serialized through these types.

use serde::Serialize;
use utoipa::ToSchema;

use super::Scope;

/// Body of `POST /v1/tokens`: a user token (`kind` omitted or `user`) or a runner token
/// (`kind` `runner`, with its `scope`).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum CreateTokenBody {
    User(CreateUserToken),
    Runner(CreateRunnerToken),
}

/// A token acting as its user (`vt_…`).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserToken {
    /// 1 to 64 characters, not all whitespace.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// Lifetime in seconds, capped at the creating token's expiry; omitted: the creating token's.
    #[serde(rename = "expiresIn", skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3_153_600_000_u64)]
    pub expires_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<UserKind>,
}

/// A delivery-only runner token (`vr_…`) bound to a scope and a namespace.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRunnerToken {
    /// 1 to 64 characters, not all whitespace; the `client` of the runner's audit events.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// Lifetime in seconds, capped at the creating token's expiry; omitted: the creating token's.
    #[serde(rename = "expiresIn", skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3_153_600_000_u64)]
    pub expires_in: Option<u64>,
    pub kind: RunnerKind,
    /// Delivered the secrets whose scope is `all` or this one.
    pub scope: Scope,
    /// True: the org's namespace (admins only); false or omitted: the caller's own.
    #[serde(rename = "orgWide", skip_serializing_if = "Option::is_none")]
    pub org_wide: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    User,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunnerKind {
    Runner,
}
