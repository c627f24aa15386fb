//! Who may do what (docs/API.md, Policy). Pure functions, so each rule reads as one line and is tested
//! on both sides without a store.

use crate::api::Role;
use crate::store::{OrgRow, Owner};

/// May `role` (the user `user_id`) reveal, or receive through `/v1/env`, values of `owner`'s namespace?
pub fn may_read_values(role: Role, user_id: i64, owner: Owner, org: &OrgRow) -> bool {
    match owner {
        // A user-private value is for its owner only; not even an admin can reveal it.
        Owner::User(id) => id == user_id,
        Owner::Org => role == Role::Admin || org.members_can_reveal,
    }
}

/// May `role` create, rotate, edit or delete secrets of `owner`'s namespace?
pub fn may_write(role: Role, user_id: i64, owner: Owner) -> bool {
    match owner {
        Owner::User(id) => id == user_id,
        Owner::Org => role == Role::Admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(members_can_reveal: bool) -> OrgRow {
        OrgRow {
            name: "acme".into(),
            members_can_reveal,
        }
    }

    #[test]
    fn user_values_are_the_owners_only() {
        assert!(may_read_values(Role::Member, 7, Owner::User(7), &org(false)));
        assert!(!may_read_values(Role::Admin, 1, Owner::User(7), &org(true)));
    }

    #[test]
    fn org_values_for_admins_and_members_when_allowed() {
        assert!(may_read_values(Role::Admin, 1, Owner::Org, &org(false)));
        assert!(!may_read_values(Role::Member, 7, Owner::Org, &org(false)));
        assert!(may_read_values(Role::Member, 7, Owner::Org, &org(true)));
    }

    #[test]
    fn only_admins_write_org_secrets() {
        assert!(may_write(Role::Admin, 1, Owner::Org));
        assert!(!may_write(Role::Member, 7, Owner::Org));
        assert!(may_write(Role::Member, 7, Owner::User(7)));
        assert!(!may_write(Role::Admin, 1, Owner::User(7)));
    }
}
