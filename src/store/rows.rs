//! The rows a `Store` reads and writes. Plain data; no plaintext values anywhere.

pub use crate::api::{AuditAction, Category, Outcome, Role, Scope, TokenKind, Visibility};
use compact_str::CompactString;

use crate::crypto::TokenHash;

/// Unix time in milliseconds.
pub type Millis = i64;

/// A namespace: the org's shared one, or one user's private one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    Org,
    User(i64),
}

impl Owner {
    /// The namespace label bound into each ciphertext's associated data.
    pub fn namespace(&self) -> String {
        match self {
            Owner::Org => "org".to_owned(),
            Owner::User(id) => format!("user:{id}"),
        }
    }

    /// The stored owner id: 0 for the org (user ids start at 1).
    pub fn db_id(&self) -> i64 {
        match self {
            Owner::Org => 0,
            Owner::User(id) => *id,
        }
    }

    pub fn from_db_id(id: i64) -> Owner {
        if id == 0 { Owner::Org } else { Owner::User(id) }
    }

    pub fn visibility(&self) -> Visibility {
        match self {
            Owner::Org => Visibility::Org,
            Owner::User(_) => Visibility::User,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub name: String,
    pub members_can_reveal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: Millis,
    /// A disabled user's tokens do not authenticate; nothing else about the user changes.
    pub disabled: bool,
}

/// A user as the admin listing shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub user: UserRow,
    /// Whether the user has ever held a token (exchanged an enrolment code, or `admin init`).
    pub enrolled: bool,
    /// The latest `last_used_at` of the user's tokens.
    pub last_seen_at: Option<Millis>,
    /// Tokens neither revoked nor expired at the time asked.
    pub live_tokens: u32,
}

/// A change to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

impl UserPatch {
    /// The role and disabled flag `user` has once patched.
    pub fn applied_to(&self, user: &UserRow) -> (Role, bool) {
        (self.role.unwrap_or(user.role), self.disabled.unwrap_or(user.disabled))
    }

    /// Whether the patch takes away one of the org's enabled admins (the store then checks that
    /// another is left).
    pub fn removes_an_admin(&self, user: &UserRow) -> bool {
        let active_admin = |role: Role, disabled: bool| role == Role::Admin && !disabled;
        let (role, disabled) = self.applied_to(user);
        active_admin(user.role, user.disabled) && !active_admin(role, disabled)
    }

    /// One audit action per field the patch changes on `user`, in the order the rows are written;
    /// none for a no-op.
    pub fn audit_actions(&self, user: &UserRow) -> Vec<AuditAction> {
        let (role, disabled) = self.applied_to(user);
        let mut actions = Vec::new();
        if disabled != user.disabled {
            actions.push(if disabled {
                AuditAction::UserDisable
            } else {
                AuditAction::UserEnable
            });
        }
        if role != user.role {
            actions.push(match role {
                Role::Admin => AuditAction::UserPromote,
                Role::Member => AuditAction::UserDemote,
            });
        }
        actions
    }
}

/// A single-use enrolment code to store: only its hash.
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    pub hash: TokenHash,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// Why an enrolment code was not exchanged, when the store knows whose code it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolRefusal {
    Used,
    Expired,
    Disabled,
    /// The user holds tokens already (the code is left from before they enrolled).
    Enrolled,
}

impl EnrolRefusal {
    /// Why a known code (used at `used_at`, expiring at `expires_at`) of `user` cannot be
    /// exchanged at `at`, as far as the code and the user row tell; the store then also refuses
    /// (`Enrolled`) a user who holds tokens already.
    pub fn of_code(used_at: Option<Millis>, expires_at: Millis, at: Millis, user: &UserRow) -> Option<EnrolRefusal> {
        if used_at.is_some() {
            Some(EnrolRefusal::Used)
        } else if expires_at <= at {
            Some(EnrolRefusal::Expired)
        } else if user.disabled {
            Some(EnrolRefusal::Disabled)
        } else {
            None
        }
    }
}

/// The outcome of exchanging an enrolment code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolOutcome {
    /// The user's first token was stored.
    Enrolled(UserRow),
    /// A known code that cannot be used; the denied audit row was appended.
    Refused(UserRow, EnrolRefusal),
    /// No such code: nothing was written (the caller counts it as a failed authentication).
    Unknown,
}

/// A token to store: only its hash.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Public identifier, used to list and revoke.
    pub id: String,
    /// Filled in by the store for `init` and `create_user`; the owner for `create_token`.
    pub user_id: i64,
    pub name: String,
    pub hash: TokenHash,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    /// The token that created this one; `None` for `admin init` and enrolment.
    pub parent_id: Option<String>,
    pub kind: TokenKind,
    /// A runner token's scope; `None` for a user token.
    pub scope: Option<Scope>,
    /// A runner token's namespace: the org's (true) or its user's own.
    pub org_wide: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub user_id: i64,
    pub name: String,
    pub hash: TokenHash,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
    pub parent_id: Option<String>,
    pub kind: TokenKind,
    pub last_used_at: Option<Millis>,
    pub scope: Option<Scope>,
    pub org_wide: bool,
}

impl NewToken {
    /// The row of this token once stored: never revoked nor used yet.
    pub fn stored(self) -> TokenRow {
        TokenRow {
            id: self.id,
            user_id: self.user_id,
            name: self.name,
            hash: self.hash,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: None,
            parent_id: self.parent_id,
            kind: self.kind,
            last_used_at: None,
            scope: self.scope,
            org_wide: self.org_wide,
        }
    }
}

/// Text fields are `CompactString`s, as in `api::SecretMeta`: a listing reads them straight from
/// SQLite into the field's inline bytes and moves them on, with no allocation per field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRow {
    pub id: i64,
    pub owner: Owner,
    /// The owning user's name; `None` for org secrets.
    pub owner_name: Option<CompactString>,
    pub name: CompactString,
    pub category: Category,
    pub scope: Scope,
    pub description: Option<CompactString>,
    pub revealable: bool,
    pub version: i64,
    pub preview: CompactString,
    pub created_at: Millis,
    pub created_by: Option<CompactString>,
    pub rotated_at: Option<Millis>,
    pub rotated_by: Option<CompactString>,
    pub last_used_at: Option<Millis>,
    /// The secret's identity, bound into each of its sealed values (`crypto::Binding`): drawn
    /// at random when it is created, so that a secret deleted and created again is another one.
    pub identity: CompactString,
    /// The provider it is a key for (`github`); `None` when it names none.
    pub provider: Option<CompactString>,
}

/// A create or a rotation: the vault decides the value and the version; the store checks the
/// version, settles the metadata the caller left out, and writes.
#[derive(Debug, Clone)]
pub struct SecretWrite {
    pub owner: Owner,
    pub name: String,
    /// The version the vault read: `None` means the secret must not exist yet.
    pub expected: Option<i64>,
    /// `expected + 1`, or 1 for a create; the version the sealed text is bound to.
    pub new_version: i64,
    /// The identity `sealed` is bound to: the stored secret's for a rotation, a fresh one
    /// (`crypto::new_identity`) for a create, which the new row then keeps.
    pub identity: String,
    pub sealed: String,
    pub preview: String,
    // The metadata the caller set; `None` keeps what is stored (read inside the store's
    // transaction, so that a concurrent edit is never written back over), or the default when
    // this write creates the secret. `revealable` only ever goes from true to false in the store.
    pub category: Option<Category>,
    pub scope: Option<Scope>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    /// `Some(None)` clears the provider (none on creation).
    pub provider: Option<Option<String>>,
    pub revealable: Option<bool>,
    pub at: Millis,
    pub by: String,
    /// Keep at most this many versions, pruning the oldest in the same transaction.
    pub max_versions: u32,
}

/// Seals the value of an unconditional write for the identity and version the store hands it.
/// Such a write learns its row only inside the store's transaction, and sealed text is bound to
/// both; the store calls this (at most once) and sees only what it returns, never the value.
pub type Reseal = Box<dyn FnOnce(&str, i64) -> String + Send>;

/// A metadata edit: `None` leaves a field as it is; `Some(None)` clears the description or the
/// provider.
#[derive(Debug, Clone, Default)]
pub struct MetaPatch {
    pub category: Option<Category>,
    pub scope: Option<Scope>,
    pub description: Option<Option<String>>,
    pub revealable: Option<bool>,
    pub provider: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub version: i64,
    pub sealed: String,
    pub preview: String,
    pub created_at: Millis,
    pub created_by: Option<String>,
}

/// One stored version as a rekey (or the re-seal into the current format) sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRow {
    pub secret_id: i64,
    pub owner: Owner,
    pub name: String,
    pub identity: String,
    pub version: i64,
    pub sealed: String,
}

/// What the stored values are sealed with, for the checks at start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealingState {
    /// Every key id some stored value is sealed under, sorted.
    pub key_ids: Vec<String>,
    /// Whether the vault has refused the v1 format for good (`Store::retire_legacy_sealing`).
    pub legacy_retired: bool,
}

/// Which secrets to list.
#[derive(Debug, Clone, Default)]
pub struct SecretFilter {
    /// The namespaces to include. Ignored when `all_users` is set.
    pub owners: Vec<Owner>,
    /// Every namespace: the org's and every user's.
    pub all_users: bool,
    pub category: Option<Category>,
    pub scope: Option<Scope>,
    /// Only the secrets of this provider (compared exactly).
    pub provider: Option<String>,
}

/// A committed change to a secret, as `Store::changes` announces it: which secret, what happened
/// and when. Never a value, a preview or sealed text: subscribers are told to re-read, not fed data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretChange {
    pub owner: Owner,
    pub name: String,
    /// The version now current; `None` after a delete.
    pub version: Option<i64>,
    /// `Create`, `Rotate`, `Update` (metadata only) or `Delete`.
    pub action: AuditAction,
    pub at: Millis,
    /// The secret's scope now; `None` after a delete. Runner tokens hear only their scope's.
    pub scope: Option<Scope>,
}

impl SecretChange {
    /// The change a create or rotation made (`created` tells which).
    pub fn written(row: &SecretRow, created: bool, at: Millis) -> SecretChange {
        let action = if created {
            AuditAction::Create
        } else {
            AuditAction::Rotate
        };
        SecretChange::of_row(row, action, at)
    }

    /// The change to the metadata (not the value) of `row`.
    pub fn updated(row: &SecretRow, at: Millis) -> SecretChange {
        SecretChange::of_row(row, AuditAction::Update, at)
    }

    pub fn deleted(owner: Owner, name: &str, at: Millis) -> SecretChange {
        SecretChange {
            owner,
            name: name.to_owned(),
            version: None,
            action: AuditAction::Delete,
            at,
            scope: None,
        }
    }

    fn of_row(row: &SecretRow, action: AuditAction, at: Millis) -> SecretChange {
        SecretChange {
            owner: row.owner,
            name: row.name.to_string(),
            version: Some(row.version),
            action,
            at,
            scope: Some(row.scope),
        }
    }
}

/// An audit record: who did what to which secret, when, and how it went. The vault fills one in and
/// hands it to the store with the change it describes; the store appends it as an [`AuditRow`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    pub at: Millis,
    pub actor: Option<String>,
    pub action: AuditAction,
    pub secret: Option<String>,
    pub visibility: Option<Visibility>,
    /// The owning user's name for user-private secrets, so reviewers can tell namespaces apart.
    pub owner: Option<String>,
    pub version: Option<i64>,
    pub outcome: Outcome,
    pub client: Option<String>,
    pub ip: Option<String>,
    /// The user name or token id an account action acted on.
    pub target: Option<String>,
    /// How many events this one row stands for, when more than one: failed authentications
    /// are summarised per client address and time window, so that a flood cannot fill the disk.
    pub count: Option<u32>,
}

impl NewAudit {
    /// A record of `action` at `at` that says nothing yet of who, which secret or from where:
    /// callers name the fields that apply and take the rest from here (`..NewAudit::new(..)`),
    /// so that an empty field is always `None` in the same way.
    pub fn new(at: Millis, action: AuditAction, outcome: Outcome) -> NewAudit {
        NewAudit {
            at,
            actor: None,
            action,
            secret: None,
            visibility: None,
            owner: None,
            version: None,
            outcome,
            client: None,
            ip: None,
            target: None,
            count: None,
        }
    }
}

/// An appended audit record: the store assigns the id and links it into the hash chain
/// (`AuditChain::link` over `prev_hash`, the id and the record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub event: NewAudit,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub secret: Option<String>,
    pub action: Option<AuditAction>,
    /// Only events with a smaller id.
    pub before: Option<i64>,
    pub limit: u32,
}
