//! Account use cases: who a request comes from, signing in and out, the
//! first admin, the admin's users, API tokens, site settings.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use super::access::Actor;
use super::{Error, Missing, Result, Service};
use crate::accounts::{Me, NewToken, Role, TokenId, TokenSummary, UserId, UserSummary};
use crate::server::accounts::{Account, SignIn};
use crate::server::peers::Stale;

/// The setting that lists public items for visitors who are not signed in.
pub(crate) const PUBLIC_BROWSING: &str = "public_browsing";

/// What a request carries to say who sends it (read by the edges from the
/// session cookie and the `Authorization: Bearer` header).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) session: Option<String>,
    pub(crate) bearer: Option<String>,
}

fn me(account: &Account) -> Me {
    Me {
        id: account.id.clone(),
        name: account.name.clone(),
        role: account.role,
    }
}

impl Service {
    /// Who sends a request. Credentials that do not (or no longer) hold are
    /// no one: the request is anonymous, and what it asks is refused as any
    /// anonymous request would be.
    pub(crate) async fn authenticate(&self, credentials: &Credentials) -> Result<Actor> {
        let accounts = &self.inner.accounts;
        let account = match (&credentials.bearer, &credentials.session) {
            (Some(token), _) => accounts.token(token).await?,
            (None, Some(session)) => accounts.session(session).await?,
            (None, None) => None,
        };
        Ok(account.map_or(Actor::Anonymous, Actor::User))
    }

    /// `authenticate` from memory only, for the direct byte path: `None`
    /// when credentials are there but memory cannot vouch for them.
    pub(crate) fn authenticate_from_memory(&self, credentials: &Credentials) -> Option<Actor> {
        match credentials.bearer.as_ref().or(credentials.session.as_ref()) {
            None => Some(Actor::Anonymous),
            Some(secret) => self.inner.accounts.remembered(secret).map(Actor::User),
        }
    }

    /// The signed-in user, for the page's account menu.
    pub(crate) fn me(&self, actor: &Actor) -> Option<Me> {
        actor.account().map(me)
    }

    /// Signs in from `address`: the new session's secret (the cookie).
    pub(crate) async fn sign_in(
        &self,
        name: &str,
        password: &str,
        address: IpAddr,
    ) -> Result<(Me, String)> {
        match self.inner.accounts.sign_in(name, password, address).await? {
            SignIn::Accepted { secret, account } => Ok((me(&account), secret)),
            SignIn::Refused => Err(Error::SignInRefused),
            SignIn::Throttled(retry_after) => Err(Error::TooManyAttempts { retry_after }),
        }
    }

    pub(crate) async fn sign_out(&self, credentials: &Credentials) -> Result<()> {
        if let Some(secret) = &credentials.session {
            self.inner.accounts.sign_out(secret).await?;
        }
        Ok(())
    }

    /// Whether the setup page may show: no user yet and `token` is the live one.
    pub(crate) fn setup_allowed(&self, token: &str) -> bool {
        self.inner.accounts.is_setup_token(token)
    }

    /// Makes the first admin with the setup token and signs them in.
    pub(crate) async fn complete_setup(
        &self,
        token: &str,
        name: &str,
        password: &str,
    ) -> Result<(Me, String)> {
        let accounts = &self.inner.accounts;
        let account = accounts
            .complete_setup(token, name, password)
            .await?
            .ok_or(Error::NotFound(Missing::Page))?;
        // Items from before accounts are the admin's now.
        self.inner.facts.clear();
        let secret = accounts.start_session(&account).await?;
        Ok((me(&account), secret))
    }

    /// Changes the signed-in user's password, given the current one; their
    /// other sessions end (`keep` is the one asking).
    pub(crate) async fn change_password(
        &self,
        actor: &Actor,
        keep: Option<&str>,
        current: &str,
        new: &str,
    ) -> Result<()> {
        let account = actor.account().ok_or(Error::SignInRequired)?;
        let row = self
            .inner
            .repo
            .user(&account.id)
            .await?
            .ok_or(Error::SignInRequired)?;
        let accounts = &self.inner.accounts;
        if !accounts
            .passwords()
            .verify(current, &row.password_hash)
            .await?
        {
            return Err(Error::SignInRefused);
        }
        accounts.set_password(&account.id, new, keep).await?;
        Ok(())
    }

    pub(super) fn admin(&self, actor: &Actor) -> Result<()> {
        match actor {
            _ if actor.is_admin() => Ok(()),
            Actor::Anonymous => Err(Error::SignInRequired),
            Actor::User(_) => Err(Error::Forbidden),
        }
    }

    pub(crate) async fn users(&self, actor: &Actor) -> Result<Vec<UserSummary>> {
        self.admin(actor)?;
        Ok(self.inner.repo.users().await?)
    }

    pub(crate) async fn create_user(
        &self,
        actor: &Actor,
        name: &str,
        password: &str,
        role: Role,
        quota_bytes: Option<u64>,
    ) -> Result<UserId> {
        self.admin(actor)?;
        self.inner
            .accounts
            .create_user(name, password, role, quota_bytes)
            .await?
            .ok_or(Error::NameTaken)
    }

    /// Changes a user's role, quota, or disables them (their sessions end).
    /// Admins cannot demote or disable themselves: someone must stay admin.
    pub(crate) async fn update_user(
        &self,
        actor: &Actor,
        user: &UserId,
        role: Option<Role>,
        disabled: Option<bool>,
        quota_bytes: Option<Option<u64>>,
    ) -> Result<()> {
        self.admin(actor)?;
        let own = actor.account().is_some_and(|a| a.id == *user);
        if own && (role.is_some_and(|r| r != Role::Admin) || disabled == Some(true)) {
            return Err(Error::Forbidden);
        }
        if !self
            .inner
            .accounts
            .update_user(user, role, disabled, quota_bytes)
            .await?
        {
            return Err(Error::NotFound(Missing::User));
        }
        Ok(())
    }

    /// Sets another user's password; their sessions end.
    pub(crate) async fn reset_password(
        &self,
        actor: &Actor,
        user: &UserId,
        password: &str,
    ) -> Result<()> {
        self.admin(actor)?;
        if !self
            .inner
            .accounts
            .set_password(user, password, None)
            .await?
        {
            return Err(Error::NotFound(Missing::User));
        }
        Ok(())
    }

    pub(crate) async fn create_token(&self, actor: &Actor, name: &str) -> Result<NewToken> {
        let account = actor.account().ok_or(Error::SignInRequired)?;
        let (id, token) = self.inner.accounts.create_token(&account.id, name).await?;
        Ok(NewToken {
            id,
            name: name.to_string(),
            token,
        })
    }

    pub(crate) async fn tokens(&self, actor: &Actor) -> Result<Vec<TokenSummary>> {
        let account = actor.account().ok_or(Error::SignInRequired)?;
        Ok(self.inner.repo.tokens_of(&account.id).await?)
    }

    pub(crate) async fn revoke_token(&self, actor: &Actor, id: &TokenId) -> Result<()> {
        let account = actor.account().ok_or(Error::SignInRequired)?;
        if !self.inner.accounts.revoke_token(&account.id, id).await? {
            return Err(Error::NotFound(Missing::Token));
        }
        Ok(())
    }

    pub(crate) fn public_browsing(&self) -> bool {
        self.inner.public_browsing.load(Ordering::Relaxed)
    }

    /// Lists public items for visitors who are not signed in (or not).
    pub(crate) async fn set_public_browsing(&self, actor: &Actor, on: bool) -> Result<()> {
        self.admin(actor)?;
        let value = if on { "on" } else { "off" };
        self.inner.repo.set_setting(PUBLIC_BROWSING, value).await?;
        self.inner.public_browsing.store(on, Ordering::Relaxed);
        self.inner.peers.tell(Stale::PublicBrowsing { on });
        Ok(())
    }
}
