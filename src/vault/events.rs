//! Change events (`GET /v1/events`): which committed changes a caller is told of, and in what form.
//! The server streams them; the rule of who hears what is here, with the other rules.

use tokio::sync::broadcast;

use super::{Caller, Vault, convert};
use crate::api::SecretEvent;
use crate::store::{Owner, SecretChange};

impl Vault {
    /// A subscription to every secret change committed from now on (see `Store::changes`: which
    /// writers it hears depends on the backend). Filter each with [`Vault::change_event`].
    pub fn subscribe_changes(&self) -> broadcast::Receiver<SecretChange> {
        self.store.changes()
    }

    /// What `caller` is told of `change`: the org's secrets and its own, by the rule of the default
    /// listing, so an admin is not told other users' private names either; `None` for the rest.
    /// Names, versions and actions only: a change carries no value to leak. A runner token hears
    /// only of the secrets it is delivered: its namespace, and its scope (a delete, whose scope is
    /// gone, is heard whenever the namespace is the runner's).
    pub fn change_event(&self, caller: &Caller, change: SecretChange) -> Option<SecretEvent> {
        if change.owner != Owner::Org && change.owner != Owner::User(caller.user.id) {
            return None;
        }
        if let Some(runner) = caller.runner
            && (change.owner != runner.owner(caller.user.id) || change.scope.is_some_and(|s| !runner.covers(s)))
        {
            return None;
        }
        Some(SecretEvent {
            name: change.name,
            visibility: change.owner.visibility(),
            version: change.version,
            action: change.action,
            at: convert::ts(change.at),
        })
    }
}
