//! Accounts as both sides see them: roles, who may see an item, the signed-in
//! user, API tokens and share links. Shared, so a page and the server agree.

use serde::{Deserialize, Serialize};

pub use crate::ids::{ShareId, TokenId, UserId};

/// Who may see an item besides its owner and the admins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
// Text on both database backends (a CHECK lists the values).
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(rename_all = "lowercase", type_name = "text")
)]
pub enum Visibility {
    /// The owner and the admins.
    #[default]
    Private,
    /// Anyone signed in.
    Internal,
    /// Anyone with its address; never listed, searched or announced.
    Unlisted,
    /// Anyone; listed for visitors who are not signed in only when the
    /// admin allows public browsing.
    Public,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [
        Visibility::Private,
        Visibility::Internal,
        Visibility::Unlisted,
        Visibility::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Internal => "internal",
            Visibility::Unlisted => "unlisted",
            Visibility::Public => "public",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Visibility::ALL.into_iter().find(|v| v.as_str() == text)
    }

    /// What the badge and the selector say.
    pub fn label(self) -> &'static str {
        match self {
            Visibility::Private => "Private",
            Visibility::Internal => "Signed-in users",
            Visibility::Unlisted => "Unlisted",
            Visibility::Public => "Public",
        }
    }
}

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
// Text on both database backends (a CHECK lists the values).
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(rename_all = "lowercase", type_name = "text")
)]
pub enum Role {
    /// Users, settings, everything.
    Admin,
    /// Uploads; edits, deletes and shares their own items.
    Member,
    /// Plays what they may see.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// The signed-in user, as pages show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: UserId,
    pub name: String,
    pub role: Role,
}

/// A user, as the admin's page lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    /// `None`: no limit.
    pub quota_bytes: Option<u64>,
    /// Bytes of originals the user owns now.
    pub used_bytes: u64,
}

/// An API token, as its owner's account page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: TokenId,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A token just made: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub id: TokenId,
    pub name: String,
    /// Send it as `Authorization: Bearer <token>`.
    pub token: String,
}

/// A share link, as the item's owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareSummary {
    pub id: ShareId,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub has_password: bool,
}

/// A share link just made: the only time its address is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewShare {
    pub id: ShareId,
    /// The page that plays the item: `/s/<secret>`.
    pub path: String,
}

/// The site settings an admin changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSettings {
    /// Visitors who are not signed in see public items listed.
    pub public_browsing: bool,
}

/// The longest user name.
pub const MAX_NAME: usize = 64;
/// The shortest and longest password.
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 1024;

/// A user name, trimmed: 1 to 64 characters, none of them control
/// characters or `/`. Names compare without case (`Ana` is `ana`).
pub fn clean_name(name: &str) -> Result<String, crate::error::ApiError> {
    use crate::error::{ApiError, ErrorCode};
    let name = name.trim();
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME {
        return Err(ApiError::new(
            ErrorCode::InvalidName,
            format!("A user name has 1 to {MAX_NAME} characters."),
        ));
    }
    if name.chars().any(|c| c.is_control() || c == '/') {
        return Err(ApiError::new(
            ErrorCode::InvalidName,
            "A user name cannot hold control characters or a slash.",
        ));
    }
    Ok(name.to_string())
}

/// A password: 8 to 1024 characters (kept as typed, spaces included).
pub fn check_password(password: &str) -> Result<(), crate::error::ApiError> {
    use crate::error::{ApiError, ErrorCode};
    let length = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
        return Err(ApiError::new(
            ErrorCode::InvalidPassword,
            format!("A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords_are_checked_alike_on_both_sides() {
        assert_eq!(clean_name("  ana ").expect("name"), "ana");
        assert!(clean_name("").is_err());
        assert!(clean_name("a/b").is_err());
        assert!(clean_name("a\u{7}").is_err());
        assert!(clean_name(&"x".repeat(MAX_NAME + 1)).is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
        for v in Visibility::ALL {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
