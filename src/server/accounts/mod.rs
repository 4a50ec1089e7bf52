//! Accounts: who a request comes from (a session cookie or an API token),
//! signing in and out, the first admin, users and their tokens. Secrets are
//! kept only as SHA-256; what the database answers about a secret is cached
//! for a minute and forgotten at once when it stops being true (sign-out, a
//! password change, a disabled user, a revoked token), on this node and, by
//! `Peers`, on every other.

mod memory;
pub(crate) mod passwords;
pub(crate) mod secrets;
mod setup;
mod throttle;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::accounts::{Role, UserId};
use crate::server::db::{DbError, Holder, Repo, now_ms};
use crate::server::peers::{Peers, Stale};
use memory::Memory;
use passwords::Passwords;
use secrets::{UrlSigner, hash_secret, new_secret};
use throttle::Throttle;

/// How often a session's last use is written (not on every request).
const TOUCH_EVERY_MS: i64 = 60 * 60 * 1000;

#[derive(Debug, thiserror::Error)]
pub(crate) enum AccountError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the system's random source failed: {0}")]
    Random(String),
    #[error("the URL signing key: {0}")]
    Key(String),
}

type Result<T, E = AccountError> = std::result::Result<T, E>;

/// A signed-in user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) id: UserId,
    pub(crate) name: String,
    pub(crate) role: Role,
}

impl From<Holder> for Account {
    fn from(h: Holder) -> Self {
        Account {
            id: h.user_id,
            name: h.name,
            role: h.role,
        }
    }
}

/// How long sessions last.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SessionPolicy {
    /// Unused this long, a session ends.
    pub(crate) idle: Duration,
    /// However used, a session ends this long after sign-in.
    pub(crate) absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::from_secs(14 * 24 * 3600),
            absolute: Duration::from_secs(90 * 24 * 3600),
        }
    }
}

/// How a sign-in went.
pub(crate) enum SignIn {
    /// The new session's secret (the cookie's value) and who it is.
    Accepted { secret: String, account: Account },
    /// Wrong name or password, or a disabled user: the same answer for all.
    Refused,
    /// Too many failures: try again after this long.
    Throttled(Duration),
}

#[derive(Clone)]
pub(crate) struct Accounts {
    inner: Arc<Inner>,
}

struct Inner {
    repo: Repo,
    passwords: Passwords,
    throttle: Throttle,
    signer: UrlSigner,
    policy: SessionPolicy,

    /// Who secrets speak for, kept a minute; forgotten on every node.
    memory: Memory,
    /// Where the setup link's token is written while there are no users.
    data_dir: PathBuf,
    setup_token: Mutex<Option<String>>,
}

impl Accounts {
    pub(crate) async fn open(
        repo: Repo,
        data_dir: PathBuf,
        policy: SessionPolicy,
        peers: Peers,
    ) -> Result<Self> {
        // One node: the key file in its data directory. Several: the key in
        // the database they share.
        let signer = if repo.is_embedded() {
            UrlSigner::open(&data_dir.join("signing.key"))?
        } else {
            UrlSigner::shared(&repo).await?
        };
        Ok(Accounts {
            inner: Arc::new(Inner {
                repo,
                passwords: Passwords::new(),
                throttle: Throttle::default(),
                signer,
                policy,
                memory: Memory::new(peers),
                data_dir,
                setup_token: Mutex::new(None),
            }),
        })
    }

    pub(crate) fn signer(&self) -> &UrlSigner {
        &self.inner.signer
    }

    pub(crate) fn passwords(&self) -> &Passwords {
        &self.inner.passwords
    }

    /// Who a secret speaks for, from memory only: `None` when memory cannot
    /// tell (the caller asks `session` or `token`, which read the database).
    pub(crate) fn remembered(&self, secret: &str) -> Option<Account> {
        self.inner.memory.get(&hash_secret(secret))
    }

    fn remember(&self, hash: String, account: &Account) {
        self.inner.memory.keep(hash, account);
    }

    /// Forgets everything memory holds (tests: as another node would be).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn forget_all(&self) {
        self.inner.memory.clear();
    }

    fn forget_user(&self, user: &UserId) {
        self.inner.memory.forget_user(user);
    }

    fn forget_secret(&self, hash: String) {
        self.inner.memory.forget_secret(hash);
    }

    /// Applies what another node changed: forgets here only.
    pub(crate) fn forget_here(&self, stale: &Stale) {
        self.inner.memory.forget_here(stale);
    }

    /// The user a session cookie's secret belongs to, if it is live.
    pub(crate) async fn session(&self, secret: &str) -> Result<Option<Account>> {
        if let Some(account) = self.remembered(secret) {
            return Ok(Some(account));
        }
        let hash = hash_secret(secret);
        let Some(row) = self.inner.repo.session(&hash).await? else {
            return Ok(None);
        };
        let now = now_ms();
        let idle = i64::try_from(self.inner.policy.idle.as_millis()).unwrap_or(i64::MAX);
        if row.holder.disabled
            || now >= row.expires_at
            || now >= row.last_seen_at.saturating_add(idle)
        {
            self.inner.repo.delete_session(&hash).await?;
            return Ok(None);
        }
        if now - row.last_seen_at > TOUCH_EVERY_MS {
            self.inner.repo.touch_session(&hash, now).await?;
        }
        let account = Account::from(row.holder);
        self.remember(hash, &account);
        Ok(Some(account))
    }

    /// The user an API token belongs to, if it exists and they are enabled.
    pub(crate) async fn token(&self, secret: &str) -> Result<Option<Account>> {
        if let Some(account) = self.remembered(secret) {
            return Ok(Some(account));
        }
        let hash = hash_secret(secret);
        let Some(holder) = self.inner.repo.token_holder(&hash).await? else {
            return Ok(None);
        };
        if holder.disabled {
            return Ok(None);
        }
        self.inner.repo.touch_token(&hash, now_ms()).await?;
        let account = Account::from(holder);
        self.remember(hash, &account);
        Ok(Some(account))
    }

    /// Checks a name and password from `address`; a new session when they
    /// are right. Refusals take as long whether the name exists or not.
    pub(crate) async fn sign_in(
        &self,
        name: &str,
        password: &str,
        address: IpAddr,
    ) -> Result<SignIn> {
        let throttle = &self.inner.throttle;
        if let Err(wait) = throttle.check(address, name, Instant::now()) {
            return Ok(SignIn::Throttled(wait));
        }
        let passwords = &self.inner.passwords;
        let user = self.inner.repo.user_by_name(name).await?;
        let right = match &user {
            Some(user) => passwords.verify(password, &user.password_hash).await?,
            None => {
                passwords.verify_nobody(password).await?;
                false
            }
        };
        let user = match user {
            Some(user) if right && !user.disabled => user,
            _ => {
                throttle.failed(address, name, Instant::now());
                return Ok(SignIn::Refused);
            }
        };
        throttle.succeeded(address, name);
        let account = Account {
            id: user.id,
            name: user.name,
            role: user.role,
        };
        let secret = self.start_session(&account).await?;
        Ok(SignIn::Accepted { secret, account })
    }

    /// Checks a password against `hash` (a share link's) under the same
    /// throttle as sign-in, keyed by `what`: `Err` with the wait when too
    /// many attempts failed.
    pub(crate) async fn check_throttled(
        &self,
        what: &str,
        hash: &str,
        password: &str,
        address: IpAddr,
    ) -> Result<std::result::Result<bool, Duration>> {
        let throttle = &self.inner.throttle;
        if let Err(wait) = throttle.check(address, what, Instant::now()) {
            return Ok(Err(wait));
        }
        let right = self.inner.passwords.verify(password, hash).await?;
        if right {
            throttle.succeeded(address, what);
        } else {
            throttle.failed(address, what, Instant::now());
        }
        Ok(Ok(right))
    }

    /// A new session for `account`; its secret.
    pub(crate) async fn start_session(&self, account: &Account) -> Result<String> {
        let secret = new_secret()?;
        let now = now_ms();
        let absolute = i64::try_from(self.inner.policy.absolute.as_millis()).unwrap_or(i64::MAX);
        self.inner
            .repo
            .create_session(
                &hash_secret(&secret),
                &account.id,
                now,
                now.saturating_add(absolute),
            )
            .await?;
        Ok(secret)
    }

    pub(crate) async fn sign_out(&self, secret: &str) -> Result<()> {
        let hash = hash_secret(secret);
        self.inner.repo.delete_session(&hash).await?;
        // After the row is gone: a request in between cannot cache it again.
        self.forget_secret(hash);
        Ok(())
    }

    /// Ends a user's sessions but `keep` (a secret), and forgets them in memory.
    pub(crate) async fn end_sessions(&self, user: &UserId, keep: Option<&str>) -> Result<()> {
        let keep = keep.map(hash_secret);
        self.inner
            .repo
            .delete_sessions_of(user, keep.as_deref())
            .await?;
        self.forget_user(user);
        Ok(())
    }

    /// Sets a user's password and ends their other sessions.
    pub(crate) async fn set_password(
        &self,
        user: &UserId,
        password: &str,
        keep: Option<&str>,
    ) -> Result<bool> {
        let hash = self.inner.passwords.hash(password).await?;
        if !self.inner.repo.set_password(user, &hash).await? {
            return Ok(false);
        }
        self.end_sessions(user, keep).await?;
        Ok(true)
    }

    /// A user's changed role, flag or quota; a disabled user's sessions end,
    /// and memory forgets what it knew of them either way.
    pub(crate) async fn update_user(
        &self,
        user: &UserId,
        role: Option<Role>,
        disabled: Option<bool>,
        quota_bytes: Option<Option<u64>>,
    ) -> Result<bool> {
        if !self
            .inner
            .repo
            .update_user(user, role, disabled, quota_bytes)
            .await?
        {
            return Ok(false);
        }
        if disabled == Some(true) {
            self.end_sessions(user, None).await?;
        }
        self.forget_user(user);
        Ok(true)
    }

    /// A new API token for `user`: its id and its secret (shown once).
    pub(crate) async fn create_token(
        &self,
        user: &UserId,
        name: &str,
    ) -> Result<(crate::accounts::TokenId, String)> {
        let secret = format!("reel_{}", new_secret()?);
        let id = self
            .inner
            .repo
            .create_token(&hash_secret(&secret), user, name, now_ms())
            .await?;
        Ok((id, secret))
    }

    pub(crate) async fn revoke_token(
        &self,
        user: &UserId,
        id: &crate::accounts::TokenId,
    ) -> Result<bool> {
        let Some(hash) = self.inner.repo.delete_token(user, id).await? else {
            return Ok(false);
        };
        self.forget_secret(hash);
        Ok(true)
    }

    /// Sweeps ended sessions hourly, for as long as the process runs.
    pub(crate) fn spawn_sweeper(&self) {
        let accounts = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(3600));
            loop {
                every.tick().await;
                match accounts.sweep_sessions().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(n, "removed ended sessions"),
                    Err(e) => tracing::warn!("cannot remove ended sessions: {e}"),
                }
            }
        });
    }

    /// Removes sessions past their idle or absolute end.
    pub(crate) async fn sweep_sessions(&self) -> Result<u64> {
        let now = now_ms();
        let idle = i64::try_from(self.inner.policy.idle.as_millis()).unwrap_or(i64::MAX);
        Ok(self
            .inner
            .repo
            .delete_expired_sessions(now.saturating_sub(idle), now)
            .await?)
    }
}
