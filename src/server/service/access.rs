//! Who may do what: the one place that decides. Pure functions of who asks
//! and of an item's owner and visibility; every path (pages, server
//! functions, events, both byte paths) asks them, and a refusal looks like a
//! missing item.

use crate::accounts::{Role, UserId, Visibility};
use crate::server::accounts::Account;
use crate::server::db::Listing;
pub(crate) use crate::server::domain::ItemAccess;

/// Who asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Actor {
    /// Not signed in.
    Anonymous,
    User(Account),
}

impl Actor {
    pub(crate) fn account(&self) -> Option<&Account> {
        match self {
            Actor::User(account) => Some(account),
            Actor::Anonymous => None,
        }
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.account().is_some_and(|a| a.role == Role::Admin)
    }

    fn is(&self, user: Option<&UserId>) -> bool {
        matches!((self.account(), user), (Some(a), Some(u)) if a.id == *u)
    }
}

/// Whether `actor` may see the item and its bytes (by its address).
pub(crate) fn can_read(actor: &Actor, item: &ItemAccess) -> bool {
    if actor.is_admin() || actor.is(item.owner.as_ref()) {
        return true;
    }
    match item.visibility {
        Visibility::Private => false,
        Visibility::Internal => actor.account().is_some(),
        Visibility::Unlisted | Visibility::Public => true,
    }
}

/// Whether `actor` may learn of the item without its address: in lists,
/// searches, neighbours and live events. Unlisted items reach only their
/// owner and the admins.
pub(crate) fn can_list(actor: &Actor, item: &ItemAccess, public_browsing: bool) -> bool {
    if actor.is_admin() || actor.is(item.owner.as_ref()) {
        return true;
    }
    match item.visibility {
        Visibility::Private | Visibility::Unlisted => false,
        Visibility::Internal => actor.account().is_some(),
        Visibility::Public => actor.account().is_some() || public_browsing,
    }
}

/// The listing `can_list` allows, as the repository filters it.
pub(crate) fn listing(actor: &Actor, public_browsing: bool) -> Listing {
    match actor.account() {
        Some(account) if account.role == Role::Admin => Listing::All,
        Some(account) => Listing::SignedIn(account.id.clone()),
        None if public_browsing => Listing::Public,
        None => Listing::Nothing,
    }
}

/// Whether `actor` may edit, share, reprocess or delete the item.
pub(crate) fn can_change(actor: &Actor, item: &ItemAccess) -> bool {
    match actor.account() {
        Some(account) if account.role == Role::Admin => true,
        Some(account) => account.role == Role::Member && actor.is(item.owner.as_ref()),
        None => false,
    }
}

/// Whether `actor` may upload (and so own items).
pub(crate) fn can_upload(actor: &Actor) -> bool {
    actor
        .account()
        .is_some_and(|a| matches!(a.role, Role::Admin | Role::Member))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, role: Role) -> Actor {
        let n: u32 = name.bytes().map(u32::from).sum();
        Actor::User(Account {
            id: UserId::parse(&format!("{n:0>32}")).expect("id"),
            name: name.into(),
            role,
        })
    }

    /// The whole table: every actor against every visibility.
    #[test]
    fn who_reads_lists_and_changes_what() {
        let owner = user("owner", Role::Member);
        let other = user("other", Role::Member);
        let viewer = user("viewer!", Role::Viewer);
        let admin = user("the admin", Role::Admin);
        let anonymous = Actor::Anonymous;
        let owned = |visibility| ItemAccess {
            owner: owner.account().map(|a| a.id.clone()),
            visibility,
        };
        use Visibility::*;
        // (actor, visibility, read, list (browsing off), list (browsing on), change)
        let table = [
            (&owner, Private, true, true, true, true),
            (&owner, Unlisted, true, true, true, true),
            (&other, Private, false, false, false, false),
            (&other, Internal, true, true, true, false),
            (&other, Unlisted, true, false, false, false),
            (&other, Public, true, true, true, false),
            (&viewer, Internal, true, true, true, false),
            (&viewer, Private, false, false, false, false),
            (&admin, Private, true, true, true, true),
            (&admin, Unlisted, true, true, true, true),
            (&anonymous, Private, false, false, false, false),
            (&anonymous, Internal, false, false, false, false),
            (&anonymous, Unlisted, true, false, false, false),
            (&anonymous, Public, true, false, true, false),
        ];
        for (actor, visibility, read, list_off, list_on, change) in table {
            let item = owned(visibility);
            let case = format!("{actor:?} on {visibility:?}");
            assert_eq!(can_read(actor, &item), read, "read: {case}");
            assert_eq!(can_list(actor, &item, false), list_off, "list: {case}");
            assert_eq!(
                can_list(actor, &item, true),
                list_on,
                "list, browsing: {case}"
            );
            assert_eq!(can_change(actor, &item), change, "change: {case}");
        }
        assert!(can_upload(&owner) && can_upload(&admin));
        assert!(!can_upload(&viewer) && !can_upload(&anonymous));
        assert_eq!(listing(&anonymous, false), Listing::Nothing);
        assert_eq!(listing(&anonymous, true), Listing::Public);
        assert_eq!(listing(&admin, false), Listing::All);
    }
}
