//! `GET /v1/events`: the change events a subscriber reads from the Server-Sent Events stream.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::audit::AuditAction;
use super::secret::Visibility;
use super::timestamp;

/// The SSE `event:` name of a [`SecretEvent`].
pub const EVENT_SECRET: &str = "secret";
/// The SSE `event:` name that tells the subscriber it missed changes (it fell behind, or the
/// server lost track): re-list the secrets instead of trusting what it holds. Its data is `{}`.
pub const EVENT_RESYNC: &str = "resync";

/// A secret the caller can see was created, rotated, edited (metadata) or deleted. Never a value,
/// never a preview: a subscriber re-reads what it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SecretEvent {
    pub name: String,
    /// `org` for the org's secret, `user` for the caller's own one.
    pub visibility: Visibility,
    /// The version now current; null after a delete.
    pub version: Option<i64>,
    /// `create`, `rotate`, `update` (metadata only) or `delete`.
    pub action: AuditAction,
    /// When the change was made (by the server's clock).
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}
