//! Secrets: random tokens from the OS (sessions, API tokens, share links,
//! the setup link), their SHA-256 (all the database ever keeps), and the
//! HMAC key that signs byte URLs: kept in the data directory (mode 0600) on
//! one node, in the database when several nodes share it (PostgreSQL), so a
//! URL one node signs is good on every other.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::AccountError;
use crate::server::db::Repo;

/// 32 random bytes as URL-safe base64 (43 characters).
pub(crate) fn new_secret() -> Result<String, AccountError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AccountError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored for a secret: its SHA-256, hex.
pub(crate) fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Writes `text` to `path` readable by its owner only, replacing it.
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Signs and checks byte URLs: `sig={expires}.{generation}.{mac}`, the MAC
/// over the item, the file, the expiry and the item's access generation.
/// A URL signed for one file opens no other; bumping the generation voids
/// every URL made before.
#[derive(Clone)]
pub(crate) struct UrlSigner {
    /// The MAC with the key already absorbed: cloned per signature rather
    /// than keyed afresh (two hash blocks saved on every check).
    keyed: Hmac<Sha256>,
    /// Tells signers apart in the memo below (tests run several servers,
    /// each with its own key, in one process).
    id: u64,
}

std::thread_local! {
    /// The last signature this thread found genuine, with the item and file
    /// it was checked for. A player fetching ranges sends the same `sig`
    /// again and again; the MAC need not be computed again for it (expiry
    /// and generation, which the string carries, are still checked).
    static LAST_GENUINE: std::cell::RefCell<Option<(u64, String, String, String)>> =
        const { std::cell::RefCell::new(None) };
}

/// The database setting that holds the nodes' shared URL signing key.
const SHARED_KEY: &str = "url_signing_key";

/// A key as written: 32 bytes in URL-safe base64.
fn decode(text: &str) -> Option<[u8; 32]> {
    URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
}

impl UrlSigner {
    /// The key in `path`, made (and written) on first use.
    pub(crate) fn open(path: &Path) -> Result<Self, AccountError> {
        match std::fs::read_to_string(path) {
            Ok(text) => decode(&text)
                .map(|key| UrlSigner::with_key(&key))
                .ok_or_else(|| AccountError::Key(format!("{} is not a Reel key", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = new_secret()?;
                write_private(path, &secret).map_err(|e| {
                    AccountError::Key(format!("cannot write {}: {e}", path.display()))
                })?;
                let key = decode(&secret).ok_or_else(|| AccountError::Key("bad new key".into()))?;
                Ok(UrlSigner::with_key(&key))
            }
            Err(e) => Err(AccountError::Key(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// The key all nodes share, from the database; the first node to start
    /// makes it (and every node starting at once gets that one).
    pub(crate) async fn shared(repo: &Repo) -> Result<Self, AccountError> {
        let fresh = new_secret()?;
        let text = repo.setting_or_insert(SHARED_KEY, &fresh).await?;
        decode(&text)
            .map(|key| UrlSigner::with_key(&key))
            .ok_or_else(|| AccountError::Key(format!("the setting {SHARED_KEY} is not a Reel key")))
    }

    fn with_key(key: &[u8; 32]) -> Self {
        let fingerprint = Sha256::digest(key);
        UrlSigner {
            keyed: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"),
            id: u64::from_le_bytes(fingerprint[..8].try_into().expect("8 bytes")),
        }
    }

    fn mac(&self, item: &str, file: &str, expires: i64, generation: i64) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(format!("v1|{item}|{file}|{expires}|{generation}").as_bytes());
        mac
    }

    /// The `sig` value for `file` of `item`, valid until `expires` (Unix ms).
    pub(crate) fn sign(&self, item: &str, file: &str, expires: i64, generation: i64) -> String {
        let tag = self
            .mac(item, file, expires, generation)
            .finalize()
            .into_bytes();
        format!(
            "{expires}.{generation}.{}",
            URL_SAFE_NO_PAD.encode(&tag[..16])
        )
    }

    /// Whether `sig` opens `file` of `item` now (`now`, Unix ms) at the
    /// item's current `generation`; compared in constant time.
    pub(crate) fn verify(
        &self,
        sig: &str,
        item: &str,
        file: &str,
        generation: i64,
        now: i64,
    ) -> bool {
        let mut parts = sig.splitn(3, '.');
        let (Some(expires), Some(signed_generation), Some(tag)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let (Ok(expires), Ok(signed_generation)) =
            (expires.parse::<i64>(), signed_generation.parse::<i64>())
        else {
            return false;
        };
        if expires <= now || signed_generation != generation {
            return false;
        }
        let remembered = LAST_GENUINE.with_borrow(|last| {
            last.as_ref()
                .is_some_and(|(k, s, i, f)| *k == self.id && s == sig && i == item && f == file)
        });
        if remembered {
            return true;
        }
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        let genuine = tag.len() == 16
            && self
                .mac(item, file, expires, generation)
                .verify_truncated_left(&tag)
                .is_ok();
        if genuine {
            LAST_GENUINE.set(Some((
                self.id,
                sig.to_string(),
                item.to_string(),
                file.to_string(),
            )));
        }
        genuine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_open_one_file_until_they_expire_or_are_revoked() {
        let dir = tempfile::tempdir().expect("tmp");
        let signer = UrlSigner::open(&dir.path().join("key")).expect("key");
        let sig = signer.sign("a", "original", 2_000, 3);
        assert!(signer.verify(&sig, "a", "original", 3, 1_000));
        assert!(!signer.verify(&sig, "a", "original", 3, 2_000), "expired");
        assert!(
            !signer.verify(&sig, "b", "original", 3, 1_000),
            "another item"
        );
        assert!(
            !signer.verify(&sig, "a", "poster", 3, 1_000),
            "another file"
        );
        assert!(!signer.verify(&sig, "a", "original", 4, 1_000), "revoked");
        let tampered = sig.replacen("2000", "9000", 1);
        assert!(!signer.verify(&tampered, "a", "original", 3, 1_000));
        let mut short = sig.clone();
        short.truncate(sig.len() - 4);
        assert!(
            !signer.verify(&short, "a", "original", 3, 1_000),
            "truncated"
        );
        assert!(!signer.verify("", "a", "original", 3, 1_000));
        // The same key comes back from its file; another key does not verify.
        let again = UrlSigner::open(&dir.path().join("key")).expect("key");
        assert!(again.verify(&sig, "a", "original", 3, 1_000));
        let other = UrlSigner::open(&dir.path().join("other")).expect("key");
        assert!(!other.verify(&sig, "a", "original", 3, 1_000));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("key"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn secrets_are_long_random_and_stored_hashed() {
        let (a, b) = (new_secret().expect("a"), new_secret().expect("b"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), a);
    }
}
