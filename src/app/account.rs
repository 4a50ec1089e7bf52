//! Accounts in the page: who is signed in (a context every page reads), the
//! account menu in the top bar, and the small pieces other pages use (the
//! visibility selector and badge). The pages themselves: `sign_in` (sign-in
//! and first-admin setup), `settings` (password, API tokens), `users` (the
//! admin's users and site settings).

mod settings;
pub(crate) mod sign_in;
mod users;

use leptos::prelude::*;

use crate::accounts::{Me, Role, Visibility};
use crate::error::ApiError;

pub(crate) use settings::AccountPage;
pub(crate) use sign_in::{SetupPage, SignInPage};
pub(crate) use users::UsersPage;

/// Who is signed in, fetched once per page load (signing in or out loads
/// the page again, so it never goes stale in between).
#[derive(Clone, Copy)]
pub(crate) struct Session {
    me: Resource<Result<Option<Me>, ApiError>>,
}

impl Session {
    pub(crate) fn provide() {
        let me = Resource::new(|| (), |_| crate::api::current_user());
        provide_context(Session { me });
    }

    pub(crate) fn get() -> Self {
        expect_context::<Session>()
    }

    /// Waits for the answer.
    pub(crate) async fn load(&self) -> Option<Me> {
        self.me.await.ok().flatten()
    }
}

/// Whether `me` may upload (members and admins).
pub(crate) fn can_upload(me: Option<&Me>) -> bool {
    me.is_some_and(|me| matches!(me.role, Role::Admin | Role::Member))
}

/// Loads `path` as a whole new page, so everything is fetched for whoever
/// is signed in now.
#[cfg(feature = "hydrate")]
pub(crate) fn reload_at(path: &str) {
    if let Err(e) = window().location().set_href(path) {
        leptos::logging::error!("cannot load {path}: {e:?}");
    }
}

/// A path to go back to after signing in: only this site's own paths.
pub(crate) fn local_path(next: Option<String>) -> String {
    next.filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\'))
        .unwrap_or_else(|| "/".to_string())
}

/// The top bar's right side: the user and their pages, or "Sign in".
#[component]
pub(crate) fn AccountMenu() -> impl IntoView {
    let session = Session::get();
    let signing_out = RwSignal::new(false);
    let sign_out = move |_| {
        signing_out.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let _ = crate::api::logout().await;
            reload_at("/");
        });
    };
    view! {
        <nav class="account-menu" aria-label="Account">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.load().await {
                        Some(me) => {
                            let admin = me.role == Role::Admin;
                            view! {
                                <a href="/account" data-testid="account-link">{me.name.clone()}</a>
                                {admin.then(|| view! { <a href="/admin/users">"Users"</a> })}
                                <button
                                    type="button"
                                    class="row-button"
                                    data-testid="sign-out"
                                    disabled=move || signing_out.get()
                                    on:click=sign_out
                                >
                                    "Sign out"
                                </button>
                            }
                            .into_any()
                        }
                        None => view! {
                            <a href="/login" class="button" data-testid="sign-in-link">"Sign in"</a>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </nav>
    }
}

/// A `<select>` of who may see an item.
#[component]
pub(crate) fn VisibilitySelect(
    value: RwSignal<Visibility>,
    #[prop(optional)] testid: Option<&'static str>,
    #[prop(optional, into)] id: Option<String>,
) -> impl IntoView {
    view! {
        <select
            id=id
            data-testid=testid
            on:change=move |ev| {
                if let Some(v) = Visibility::parse(&event_target_value(&ev)) {
                    value.set(v);
                }
            }
            prop:value=move || value.get().as_str()
        >
            {Visibility::ALL
                .into_iter()
                .map(|v| view! {
                    <option value=v.as_str() selected=move || value.get() == v>{visibility_choice(v)}</option>
                })
                .collect_view()}
        </select>
    }
}

/// What the selector says for each choice.
fn visibility_choice(v: Visibility) -> &'static str {
    match v {
        Visibility::Private => "only me",
        Visibility::Internal => "signed-in users",
        Visibility::Unlisted => "anyone with the link",
        Visibility::Public => "everyone",
    }
}

/// A small label of who may see an item (none for private: the default).
#[component]
pub(crate) fn VisibilityBadge(visibility: Visibility) -> impl IntoView {
    (visibility != Visibility::Private).then(|| {
        view! {
            <span class="visibility-badge" data-visibility=visibility.as_str() data-testid="visibility-badge">
                {visibility.label()}
            </span>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path(Some("/media/ab".into())), "/media/ab");
        assert_eq!(local_path(Some("//evil.test/".into())), "/");
        assert_eq!(local_path(Some("https://evil.test/".into())), "/");
        assert_eq!(local_path(Some("/\\evil.test".into())), "/");
        assert_eq!(local_path(None), "/");
    }
}
