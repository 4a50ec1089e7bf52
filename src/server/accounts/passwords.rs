//! Passwords: Argon2id with OWASP's parameters (19 MiB, 2 passes), hashed
//! and checked on the blocking pool, a few at a time (each takes 19 MiB and
//! a core for tens of milliseconds). An unknown user is checked against a
//! stand-in hash, so a refusal takes as long whether or not the name exists.

use std::sync::Arc;

use tokio::sync::{OnceCell, Semaphore};

use super::AccountError;

/// Hashes at once; more wait their turn.
const CONCURRENT: usize = 2;

#[derive(Clone)]
pub(crate) struct Passwords {
    slots: Arc<Semaphore>,
    /// The hash an unknown user's password is checked against.
    stand_in: Arc<OnceCell<String>>,
}

impl Passwords {
    pub(crate) fn new() -> Self {
        Passwords {
            slots: Arc::new(Semaphore::new(CONCURRENT)),
            stand_in: Arc::new(OnceCell::new()),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AccountError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| AccountError::Hash("closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AccountError::Hash(e.to_string()))
    }

    pub(crate) async fn hash(&self, password: &str) -> Result<String, AccountError> {
        let password = password.to_string();
        self.blocking(move || password_auth::generate_hash(password))
            .await
    }

    pub(crate) async fn verify(&self, password: &str, hash: &str) -> Result<bool, AccountError> {
        let (password, hash) = (password.to_string(), hash.to_string());
        self.blocking(move || password_auth::verify_password(password, &hash).is_ok())
            .await
    }

    /// Spends the time a real check takes, for a user that does not exist.
    pub(crate) async fn verify_nobody(&self, password: &str) -> Result<(), AccountError> {
        let stand_in = self
            .stand_in
            .get_or_try_init(|| self.hash("a stand-in nobody knows"))
            .await?
            .clone();
        self.verify(password, &stand_in).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_are_argon2id_and_check_only_themselves() {
        let passwords = Passwords::new();
        let hash = passwords.hash("correct horse").await.expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            passwords
                .verify("correct horse", &hash)
                .await
                .expect("verify")
        );
        assert!(
            !passwords
                .verify("Correct horse", &hash)
                .await
                .expect("verify")
        );
        assert!(!passwords.verify("x", "not a hash").await.expect("verify"));
        passwords.verify_nobody("guess").await.expect("stand-in");
    }
}
