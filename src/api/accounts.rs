//! Accounts: signing in and out, the first admin, the signed-in user's
//! password and API tokens, the admin's users and site settings.

use leptos::prelude::*;

use crate::accounts::{Me, NewToken, Role, SiteSettings, TokenSummary, UserSummary};
use crate::error::ApiError;

#[cfg(feature = "ssr")]
use super::context::{actor, bad_request, client_ip, credentials, service, set_cookie, site};
#[cfg(feature = "ssr")]
use crate::accounts::{TokenId, UserId, check_password, clean_name};

#[cfg(feature = "ssr")]
fn user_id(text: &str) -> Result<UserId, ApiError> {
    use crate::server::service::{Error, Missing};
    UserId::parse(text).ok_or_else(|| Error::NotFound(Missing::User).into())
}

/// Signs in; the session cookie comes with the answer. A wrong name or
/// password answers `sign-in-refused` (401), the same for both; too many
/// failures `too-many-attempts` (429, with `Retry-After`).
#[server(endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<Me, ApiError> {
    let service = service()?;
    let (me, secret) = service
        .sign_in(username.trim(), &password, client_ip()?)
        .await?;
    set_cookie(site()?.session_cookie(&secret));
    Ok(me)
}

/// Signs out: the session ends on the server and its cookie in the browser.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    service()?.sign_out(&credentials()).await?;
    set_cookie(site()?.clear_session_cookie());
    Ok(())
}

/// Who is signed in; `None` for a visitor.
#[server(endpoint = "me")]
pub async fn current_user() -> Result<Option<Me>, ApiError> {
    Ok(service()?.me(&actor().await?))
}

/// Whether `token` is the live setup token (no user exists yet).
#[server(endpoint = "setup_allowed")]
pub async fn setup_allowed(token: String) -> Result<bool, ApiError> {
    Ok(service()?.setup_allowed(&token))
}

/// Makes the first admin with the setup token from the log, and signs them in.
#[server(endpoint = "complete_setup")]
pub async fn complete_setup(
    token: String,
    username: String,
    password: String,
) -> Result<Me, ApiError> {
    let name = clean_name(&username).map_err(bad_request)?;
    check_password(&password).map_err(bad_request)?;
    let (me, secret) = service()?.complete_setup(&token, &name, &password).await?;
    set_cookie(site()?.session_cookie(&secret));
    Ok(me)
}

/// Changes the signed-in user's password; their other sessions end.
#[server(endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    check_password(&new).map_err(bad_request)?;
    let credentials = credentials();
    let service = service()?;
    let actor = service.authenticate(&credentials).await?;
    Ok(service
        .change_password(&actor, credentials.session.as_deref(), &current, &new)
        .await?)
}

/// A new API token (`Authorization: Bearer <token>`); its secret is in this
/// answer only.
#[server(endpoint = "create_token")]
pub async fn create_token(name: String) -> Result<NewToken, ApiError> {
    let name = clean_name(&name).map_err(bad_request)?;
    Ok(service()?.create_token(&actor().await?, &name).await?)
}

#[server(endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, ApiError> {
    Ok(service()?.tokens(&actor().await?).await?)
}

#[server(endpoint = "revoke_token")]
pub async fn revoke_token(id: String) -> Result<(), ApiError> {
    use crate::server::service::{Error, Missing};
    let id = TokenId::parse(&id).ok_or(Error::NotFound(Missing::Token))?;
    Ok(service()?.revoke_token(&actor().await?, &id).await?)
}

/// Every user, for admins.
#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, ApiError> {
    Ok(service()?.users(&actor().await?).await?)
}

/// A new user (admins only); `quota_bytes` absent: no limit.
#[server(endpoint = "create_user")]
pub async fn create_user(
    username: String,
    password: String,
    role: Role,
    #[server(default)] quota_bytes: Option<u64>,
) -> Result<(), ApiError> {
    let name = clean_name(&username).map_err(bad_request)?;
    check_password(&password).map_err(bad_request)?;
    let actor = actor().await?;
    service()?
        .create_user(&actor, &name, &password, role, quota_bytes)
        .await?;
    Ok(())
}

/// Changes a user's role, disables or enables them, or sets their quota
/// (`clear_quota`: no limit). Admins only, and not to themselves.
#[server(endpoint = "update_user")]
pub async fn update_user(
    id: String,
    #[server(default)] role: Option<Role>,
    #[server(default)] disabled: Option<bool>,
    #[server(default)] quota_bytes: Option<u64>,
    #[server(default)] clear_quota: bool,
) -> Result<(), ApiError> {
    let id = user_id(&id)?;
    let quota = if clear_quota {
        Some(None)
    } else {
        quota_bytes.map(Some)
    };
    Ok(service()?
        .update_user(&actor().await?, &id, role, disabled, quota)
        .await?)
}

/// Sets another user's password (admins only); their sessions end.
#[server(endpoint = "reset_password")]
pub async fn reset_password(id: String, password: String) -> Result<(), ApiError> {
    let id = user_id(&id)?;
    check_password(&password).map_err(bad_request)?;
    Ok(service()?
        .reset_password(&actor().await?, &id, &password)
        .await?)
}

#[server(endpoint = "site_settings")]
pub async fn get_site_settings() -> Result<SiteSettings, ApiError> {
    let service = service()?;
    let _admin = service.users(&actor().await?).await?;
    Ok(SiteSettings {
        public_browsing: service.public_browsing(),
    })
}

#[server(endpoint = "set_public_browsing")]
pub async fn set_public_browsing(on: bool) -> Result<(), ApiError> {
    Ok(service()?.set_public_browsing(&actor().await?, on).await?)
}
