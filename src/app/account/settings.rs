//! The signed-in user's own page: their password and their API tokens.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;

use super::Session;
use super::sign_in::Pending;
use crate::accounts::{NewToken, check_password, clean_name};

#[component]
pub(crate) fn AccountPage() -> impl IntoView {
    let session = Session::get();
    view! {
        <Title text="Account · Reel"/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match session.load().await {
                    Some(me) => view! {
                        <section class="account-page">
                            <h1>{me.name.clone()}</h1>
                            <p class="muted">"Role: " {me.role.as_str()}</p>
                            <PasswordForm/>
                            <Tokens/>
                        </section>
                    }
                    .into_any(),
                    None => view! { <SignInFirst/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What pages for signed-in users show to visitors.
#[component]
pub(crate) fn SignInFirst() -> impl IntoView {
    view! {
        <section class="notice">
            <h1>"Sign in first"</h1>
            <p><a href="/login">"Sign in"</a> " to see this page."</p>
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let pending = Pending::new();
    let changed = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        changed.set(false);
        if let Err(e) = check_password(&new.get_untracked()) {
            pending.error.set(Some(e.message));
            return;
        }
        let call = crate::api::change_password(current.get_untracked(), new.get_untracked());
        pending.run(call, move |()| {
            current.set(String::new());
            new.set(String::new());
            changed.set(true);
        });
    };
    view! {
        <form class="account-form" on:submit=submit data-testid="password-form">
            <h2>"Password"</h2>
            <label>
                "Current password"
                <input type="password" autocomplete="current-password" required bind:value=current/>
            </label>
            <label>
                "New password (at least 8 characters)"
                <input type="password" autocomplete="new-password" required minlength="8" bind:value=new/>
            </label>
            {pending.view("password-error")}
            {move || changed.get().then(|| view! {
                <p role="status">"Changed. Your other sessions were signed out."</p>
            })}
            <button type="submit" class="button" disabled=move || pending.busy.get()>"Change password"</button>
        </form>
    }
}

/// API tokens: for scripts and tools (`Authorization: Bearer …`).
#[component]
fn Tokens() -> impl IntoView {
    let tokens = Resource::new(|| (), |_| crate::api::list_tokens());
    let name = RwSignal::new(String::new());
    let made = RwSignal::new(None::<NewToken>);
    let pending = Pending::new();
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Err(e) = clean_name(&name.get_untracked()) {
            pending.error.set(Some(e.message));
            return;
        }
        pending.run(
            crate::api::create_token(name.get_untracked()),
            move |token| {
                name.set(String::new());
                made.set(Some(token));
                tokens.refetch();
            },
        );
    };
    let revoke = move |id: String| {
        pending.run(crate::api::revoke_token(id), move |()| tokens.refetch());
    };
    view! {
        <section class="tokens">
            <h2>"API tokens"</h2>
            <p class="muted">
                "Scripts and tools send a token as " <code>"Authorization: Bearer <token>"</code>
                "; it acts as you until you revoke it."
            </p>
            {move || made.get().map(|t| view! {
                <p class="notice" role="status">
                    "New token “" {t.name.clone()} "” (shown only now): "
                    <code data-testid="new-token">{t.token.clone()}</code>
                </p>
            })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = tokens.await.unwrap_or_default();
                    view! {
                        <ul class="token-list">
                            {list.into_iter().map(|t| {
                                let id = t.id.to_string();
                                let used = t.last_used_at.map_or_else(
                                    || "never used".to_string(),
                                    |ms| format!("last used {}", crate::format::timestamp_ms(ms)),
                                );
                                view! {
                                    <li data-testid="token">
                                        <span>{t.name.clone()}</span>
                                        <span class="muted small">{used}</span>
                                        <button type="button" class="row-button danger" on:click=move |_| revoke(id.clone())>
                                            "Revoke"
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
            <form on:submit=create class="inline-form">
                <label>"Name" <input type="text" required bind:value=name data-testid="token-name"/></label>
                <button type="submit" class="button" disabled=move || pending.busy.get() data-testid="create-token">
                    "Make a token"
                </button>
            </form>
            {pending.view("token-error")}
        </section>
    }
}
