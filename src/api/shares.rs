//! Share links: made, listed and revoked by whoever may change an item;
//! opened by anyone holding one.

use leptos::prelude::*;

use crate::accounts::{NewShare, ShareSummary};
use crate::collections::ShareView;
use crate::error::ApiError;

#[cfg(feature = "ssr")]
use super::context::{actor, bad_request, client_ip, collection_id, media_id, service};

/// The longest a link can be made to last, in hours (a year).
pub const MAX_SHARE_HOURS: u32 = 366 * 24;

/// A new link to the item (or, with `collection=true`, to the collection
/// `id`): `expires_in_hours` absent, it never expires;
/// `password` absent or empty, none is asked. Its address is in this answer
/// only.
#[server(endpoint = "create_share")]
pub async fn create_share(
    id: String,
    #[server(default)] expires_in_hours: Option<u32>,
    #[server(default)] password: Option<String>,
    #[server(default)] collection: bool,
) -> Result<NewShare, ApiError> {
    if expires_in_hours.is_some_and(|h| h == 0 || h > MAX_SHARE_HOURS) {
        return Err(bad_request(ApiError::new(
            crate::error::ErrorCode::BadRequest,
            format!("A link lasts 1 to {MAX_SHARE_HOURS} hours, or for ever."),
        )));
    }
    let password = password.filter(|p| !p.is_empty());
    if let Some(p) = &password {
        crate::accounts::check_password(p).map_err(bad_request)?;
    }
    let expires = expires_in_hours.map(|h| std::time::Duration::from_secs(u64::from(h) * 3600));
    let (service, actor) = (service()?, actor().await?);
    let password = password.as_deref();
    Ok(if collection {
        let id = collection_id(&id)?;
        service
            .create_collection_share(&actor, &id, expires, password)
            .await?
    } else {
        let id = media_id(&id)?;
        service.create_share(&actor, &id, expires, password).await?
    })
}

/// The live links of the item (or, with `collection=true`, of the collection).
#[server(endpoint = "list_shares")]
pub async fn list_shares(
    id: String,
    #[server(default)] collection: bool,
) -> Result<Vec<ShareSummary>, ApiError> {
    let (service, actor) = (service()?, actor().await?);
    Ok(if collection {
        service
            .collection_shares(&actor, &collection_id(&id)?)
            .await?
    } else {
        service.shares(&actor, &media_id(&id)?).await?
    })
}

/// Revokes a link: its page and the addresses it handed out stop working.
#[server(endpoint = "revoke_share")]
pub async fn revoke_share(id: String) -> Result<(), ApiError> {
    use crate::server::service::{Error, Missing};
    let id = crate::accounts::ShareId::parse(&id).ok_or(Error::NotFound(Missing::Share))?;
    Ok(service()?.revoke_share(&actor().await?, &id).await?)
}

/// What a link's page shows (`token` is the secret after `/s/`); `grant`
/// is what `unlock_share` answered for a link with a password.
#[server(endpoint = "open_share")]
pub async fn open_share(
    token: String,
    #[server(default)] grant: Option<String>,
) -> Result<ShareView, ApiError> {
    Ok(service()?.open_share(&token, grant.as_deref()).await?)
}

/// Checks a link's password; the grant that opens it.
#[server(endpoint = "unlock_share")]
pub async fn unlock_share(token: String, password: String) -> Result<String, ApiError> {
    Ok(service()?
        .unlock_share(&token, &password, client_ip()?)
        .await?)
}
