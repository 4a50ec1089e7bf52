//! Ids of the things clients name: 32 lowercase hex digits made by the server.
//! One type per thing, shared by server and browser; only the server makes
//! new ones. Parsing accepts only the exact shape, so an id is never a path,
//! a pattern or anything else a client slipped in.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(String);

        impl $name {
            /// The id `text` spells, or `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                is_hex_id(text).then(|| $name(text.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<Self, String> {
                if is_hex_id(&text) {
                    Ok($name(text))
                } else {
                    Err(format!("not a {}: {text:?}", stringify!($name)))
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

fn is_hex_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

hex_id! {
    /// A library item. A UUIDv7, so ids sort by the time they were made.
    MediaId
}

hex_id! {
    /// A resumable upload. Random (UUIDv4) rather than time-ordered, because
    /// whoever holds it can write to the upload.
    UploadId
}

hex_id! {
    /// A user.
    UserId
}

hex_id! {
    /// An API token (not the token itself: that is shown once, then only its hash is kept).
    TokenId
}

hex_id! {
    /// A share link (not its secret: the link's address carries that).
    ShareId
}

hex_id! {
    /// A collection: a playlist or a smart collection.
    CollectionId
}

/// Random ids: whoever learns one learns nothing about others.
#[cfg(feature = "ssr")]
macro_rules! random_ids {
    ($($name:ident),*) => {$(
        impl $name {
            pub(crate) fn generate() -> Self {
                $name(uuid::Uuid::new_v4().simple().to_string())
            }
        }
    )*};
}

#[cfg(feature = "ssr")]
random_ids!(UserId, TokenId, ShareId, CollectionId);

#[cfg(feature = "ssr")]
impl MediaId {
    pub(crate) fn generate() -> Self {
        MediaId(uuid::Uuid::now_v7().simple().to_string())
    }
}

#[cfg(feature = "ssr")]
random_ids!(UploadId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_one_shape() {
        let good = "0195f3c2a1b24c6d8e9f0a1b2c3d4e5f";
        assert_eq!(
            MediaId::parse(good).map(|id| id.to_string()),
            Some(good.into())
        );
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            "0195F3C2A1B24C6D8E9F0A1B2C3D4E5F",
            "0195f3c2a1b24c6d8e9f0a1b2c3d4e5",
            "0195f3c2a1b24c6d8e9f0a1b2c3d4e5fa",
        ] {
            assert_eq!(MediaId::parse(bad), None, "{bad:?}");
            assert_eq!(UploadId::parse(bad), None, "{bad:?}");
        }
        let json = serde_json::to_string(&MediaId::parse(good)).expect("encode");
        assert_eq!(json, format!("\"{good}\""));
        assert!(serde_json::from_str::<MediaId>("\"../etc\"").is_err());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn made_ids_parse() {
        let media = MediaId::generate();
        assert_eq!(MediaId::parse(media.as_str()), Some(media.clone()));
        let upload = UploadId::generate();
        assert_eq!(UploadId::parse(upload.as_str()), Some(upload));
    }
}
