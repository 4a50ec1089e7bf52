//! The first admin. While there is no user, a one-time token (printed in the
//! log and written to `setup-token` in the data directory, mode 0600) is the
//! only way to make one: whoever merely reaches the server cannot. Making
//! the admin is one statement, so of any number of concurrent attempts
//! exactly one succeeds; then the token is gone for good.

use std::sync::PoisonError;

use super::secrets::{hash_secret, new_secret, write_private};
use super::{Account, AccountError, Accounts, Result};
use crate::accounts::Role;

const TOKEN_FILE: &str = "setup-token";

impl Accounts {
    pub(crate) async fn has_users(&self) -> Result<bool> {
        Ok(self.inner.repo.has_users().await?)
    }

    /// With no user yet, a new setup token (also written to the data
    /// directory); `None` when an admin exists.
    pub(crate) async fn prepare_setup(&self) -> Result<Option<String>> {
        if self.has_users().await? {
            let _ = std::fs::remove_file(self.inner.data_dir.join(TOKEN_FILE));
            return Ok(None);
        }
        let token = new_secret()?;
        let path = self.inner.data_dir.join(TOKEN_FILE);
        write_private(&path, &format!("{token}\n"))
            .map_err(|e| AccountError::Key(format!("cannot write {}: {e}", path.display())))?;
        *self.setup_token() = Some(hash_secret(&token));
        Ok(Some(token))
    }

    fn setup_token(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.inner
            .setup_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `token` is the live setup token.
    pub(crate) fn is_setup_token(&self, token: &str) -> bool {
        self.setup_token().as_deref() == Some(hash_secret(token).as_str())
    }

    /// Makes the first admin with the setup `token`; `None` when the token
    /// is wrong or an admin exists already.
    pub(crate) async fn complete_setup(
        &self,
        token: &str,
        name: &str,
        password: &str,
    ) -> Result<Option<Account>> {
        if !self.is_setup_token(token) {
            return Ok(None);
        }
        let hash = self.inner.passwords.hash(password).await?;
        let Some(id) = self.inner.repo.create_first_admin(name, &hash).await? else {
            return Ok(None);
        };
        *self.setup_token() = None;
        let _ = std::fs::remove_file(self.inner.data_dir.join(TOKEN_FILE));
        Ok(Some(Account {
            id,
            name: name.to_string(),
            role: Role::Admin,
        }))
    }

    /// Headless installs: the first admin from settings, when there is no user.
    pub(crate) async fn ensure_admin(&self, name: &str, password: &str) -> Result<bool> {
        if self.has_users().await? {
            return Ok(false);
        }
        let hash = self.inner.passwords.hash(password).await?;
        let made = self
            .inner
            .repo
            .create_first_admin(name, &hash)
            .await?
            .is_some();
        if made {
            *self.setup_token() = None;
            let _ = std::fs::remove_file(self.inner.data_dir.join(TOKEN_FILE));
        }
        Ok(made)
    }

    /// A new user; `None` when the name is taken. The first admin of all
    /// also becomes the owner of the items from before accounts.
    pub(crate) async fn create_user(
        &self,
        name: &str,
        password: &str,
        role: Role,
        quota_bytes: Option<u64>,
    ) -> Result<Option<crate::accounts::UserId>> {
        let hash = self.inner.passwords.hash(password).await?;
        if role == Role::Admin
            && let Some(id) = self.inner.repo.create_first_admin(name, &hash).await?
        {
            *self.setup_token() = None;
            let _ = std::fs::remove_file(self.inner.data_dir.join(TOKEN_FILE));
            return Ok(Some(id));
        }
        Ok(self
            .inner
            .repo
            .create_user(name, &hash, role, quota_bytes)
            .await?)
    }
}
