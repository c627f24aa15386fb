//! Secrets: their metadata, the requests that write them, and the responses that carry values.

use std::collections::BTreeMap;

use compact_str::CompactString;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::secret_serde;
use super::timestamp;

/// Grouping for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Provider,
    Tool,
    #[default]
    Custom,
}

/// Where a value may be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    All,
    Agents,
    Tools,
    Sandboxes,
}

/// User-private or org-shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    User,
    Org,
}

macro_rules! str_enum {
    ($ty:ident { $($variant:ident => $s:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $s),+ }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($ty::$variant),)+
                    other => Err(format!(
                        "unknown {} {other:?}: expected one of {}",
                        stringify!($ty).to_lowercase(),
                        [$($s),+].join(", ")
                    )),
                }
            }
        }
    };
}
pub(crate) use str_enum;

str_enum!(Category { Provider => "provider", Tool => "tool", Custom => "custom" });
str_enum!(Scope { All => "all", Agents => "agents", Tools => "tools", Sandboxes => "sandboxes" });
str_enum!(Visibility { User => "user", Org => "org" });

/// A secret's metadata. Never carries the value.
///
/// Its text fields are `CompactString`s: names, previews, user names and most descriptions fit in
/// their 24 inline bytes, so a client holding 100,000 of these (the TUI) makes no allocation per
/// field: that was 20 MB of a 55 MB peak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SecretMeta {
    #[schema(value_type = String)]
    pub name: CompactString,
    pub category: Category,
    pub scope: Scope,
    pub visibility: Visibility,
    #[schema(value_type = Option<String>)]
    pub owner: Option<CompactString>,
    #[schema(value_type = Option<String>)]
    pub description: Option<CompactString>,
    /// Masked preview: `sk-a****abcd` for values of 24 characters or more, `****abcd` from 12 to
    /// 23, `****` below 12.
    #[schema(value_type = String)]
    pub preview: CompactString,
    pub version: i64,
    /// False for write-only secrets, delivered through `/v1/env` and never revealed.
    pub revealable: bool,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub rotated_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
    #[schema(value_type = Option<String>)]
    pub created_by: Option<CompactString>,
    #[schema(value_type = Option<String>)]
    pub rotated_by: Option<CompactString>,
    /// The provider the secret is a key for (`github`, `anthropic`, `openai`, ...), so that several
    /// keys of one provider sit side by side (`GITHUB_TOKEN_PRODUCTION`, `GITHUB_TOKEN_STAGING`);
    /// null when it names none. Absent from an older server's answers, read as null.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub provider: Option<CompactString>,
}

impl SecretMeta {
    /// When the value last changed: the last rotation, or the creation.
    pub fn changed_at(&self) -> OffsetDateTime {
        self.rotated_at.unwrap_or(self.created_at)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecretList {
    pub secrets: Vec<SecretMeta>,
}

/// Query of `GET /v1/secrets`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub category: Option<Category>,
    pub scope: Option<Scope>,
    /// `user` or `org`: only that namespace.
    #[serde(rename = "secretScope")]
    pub secret_scope: Option<Visibility>,
    /// Admin: every user's private metadata too.
    pub all: Option<bool>,
    /// Admin: one user's private metadata (by user name).
    pub user_id: Option<String>,
    /// Only the secrets of this provider (compared exactly; providers are lowercase).
    #[param(pattern = r"^[a-z0-9][a-z0-9_.-]{0,31}$")]
    pub provider: Option<String>,
}

/// Query `orgWide=true` of the single-secret endpoints.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NamespaceQuery {
    #[serde(rename = "orgWide", default)]
    pub org_wide: Option<bool>,
}

/// Query of `POST /v1/secrets/{name}/reveal`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RevealQuery {
    #[serde(rename = "orgWide", default)]
    pub org_wide: Option<bool>,
    /// An older version to reveal.
    #[param(minimum = 1)]
    pub version: Option<i64>,
}

/// Body of `POST /v1/secrets`: create or rotate by name.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpsertSecret {
    /// A valid environment-variable name, and not a reserved one: names that change how programs
    /// start or load code are refused with 422 (`PATH`, `HOME`, `SHELL`, `IFS`, `ENV`, `BASH_ENV`,
    /// `SHELLOPTS`, `BASHOPTS`, `PS4`, `ZDOTDIR`, `LD_*`, `DYLD_*`, `GLIBC_TUNABLES`, `GCONV_PATH`,
    /// `NODE_OPTIONS`, `NODE_PATH`, `PYTHONPATH`, `PYTHONHOME`, `PYTHONSTARTUP`, `PERL5LIB`,
    /// `PERL5OPT`, `PERLLIB`, `PERL5DB`, `RUBYOPT`, `RUBYLIB`, `JAVA_TOOL_OPTIONS`,
    /// `JDK_JAVA_OPTIONS`, `_JAVA_OPTIONS`, `GIT_SSH`, `GIT_SSH_COMMAND`, `GIT_EXEC_PATH`,
    /// `GIT_ASKPASS`, `SSH_ASKPASS`, `GIT_CONFIG*`, `VAULTTY_*`; compared ignoring case; docs/API.md,
    /// "Reserved names").
    #[schema(pattern = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    pub name: String,
    /// 1 to 65536 bytes (64 KiB) of UTF-8. `maxLength` counts characters: a value of more than
    /// 65536 bytes is answered 400 even when it has fewer characters.
    #[serde(serialize_with = "secret_serde::serialize")]
    #[schema(value_type = String, min_length = 1, max_length = 65536)]
    pub value: SecretString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// At most 1024 characters; empty clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1024)]
    pub description: Option<String>,
    /// The provider the secret is a key for (`github`); empty clears it; omitted keeps the stored
    /// one (none on creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^([a-z0-9][a-z0-9_.-]{0,31})?$")]
    pub provider: Option<String>,
    #[serde(rename = "orgWide", default, skip_serializing_if = "Option::is_none")]
    pub org_wide: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revealable: Option<bool>,
    /// Check-and-set: the write fails with 409 unless the stored version is this one.
    #[serde(
        rename = "expectedVersion",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json_integer::option_i64"
    )]
    #[schema(minimum = 1)]
    pub expected_version: Option<i64>,
}

impl UpsertSecret {
    pub fn new(name: impl Into<String>, value: SecretString) -> Self {
        UpsertSecret {
            name: name.into(),
            value,
            category: None,
            scope: None,
            description: None,
            provider: None,
            org_wide: None,
            revealable: None,
            expected_version: None,
        }
    }
}

/// Body of `PATCH /v1/secrets/{name}`: edit without rotating. An empty description clears it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchSecret {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// At most 1024 characters; empty clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1024)]
    pub description: Option<String>,
    /// Only true to false: making a write-only secret revealable again is answered 422.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revealable: Option<bool>,
    /// The provider the secret is a key for (`github`); empty clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^([a-z0-9][a-z0-9_.-]{0,31})?$")]
    pub provider: Option<String>,
}

/// Answer of `POST /v1/secrets/{name}/reveal`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Revealed {
    pub name: String,
    #[serde(serialize_with = "secret_serde::serialize")]
    #[schema(value_type = String)]
    pub value: SecretString,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VersionInfo {
    pub version: i64,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
    pub preview: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionList {
    pub versions: Vec<VersionInfo>,
}

/// Body of `POST /v1/env`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Only the secrets of this provider (`github`, `anthropic`, ...; see `SecretMeta.provider`),
    /// compared exactly. Checked as the body is read: a malformed one is 400, like an unknown scope.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "valid_provider"
    )]
    #[schema(pattern = r"^[a-z0-9][a-z0-9_.-]{0,31}$")]
    pub provider: Option<String>,
}

/// Answer of `POST /v1/env`: every value the caller may use, by name; which of them are
/// write-only; and which could not be delivered.
///
/// `writeOnly` and `skipped` are separate lists beside `env` (not per-entry objects) so that `env`
/// stays the plain name-to-value map older clients and scripts read; both default to empty, so a
/// new client reads an older server's answer too.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct EnvResponse {
    #[serde(serialize_with = "secret_serde::serialize_map")]
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub env: BTreeMap<String, SecretString>,
    /// The names in `env` whose secret is write-only (`revealable: false`), sorted: they are for
    /// the program `vaultty run` starts, and `vaultty export` leaves them out.
    #[serde(rename = "writeOnly", default)]
    pub write_only: Vec<String>,
    /// Secrets the caller may use that were left out because their stored value does not open.
    /// Each is recorded as an `env` event with outcome `denied`. Never carries a value.
    #[serde(default)]
    pub skipped: Vec<EnvSkipped>,
}

/// A secret `POST /v1/env` could not deliver.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct EnvSkipped {
    pub name: String,
    pub visibility: Visibility,
    /// Why, in a sentence that says who can fix it. Never a value or key material.
    pub reason: String,
}

/// Reads an optional provider and refuses a malformed one (400 where a body is read). Only for
/// `EnvRequest`: the vault checks the other requests' providers, for the local vault too.
fn valid_provider<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let provider = Option::<String>::deserialize(d)?;
    if let Some(p) = &provider {
        super::validate::provider(p).map_err(serde::de::Error::custom)?;
    }
    Ok(provider)
}
