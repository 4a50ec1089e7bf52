//! Signing in, and making the first admin with the setup link from the log.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::accounts::{check_password, clean_name};

/// A form's state while it talks to the server.
#[derive(Clone, Copy)]
pub(crate) struct Pending {
    pub(crate) busy: RwSignal<bool>,
    pub(crate) error: RwSignal<Option<String>>,
}

impl Pending {
    pub(crate) fn new() -> Self {
        Pending {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Runs `call` unless one runs already; its error is shown, its success
    /// handed to `done`.
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    pub(crate) fn run<T: 'static>(
        self,
        call: impl std::future::Future<Output = Result<T, crate::error::ApiError>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let result = call.await;
            let _ = self.busy.try_set(false);
            match result {
                Ok(value) => done(value),
                Err(e) => {
                    let _ = self.error.try_set(Some(e.message));
                }
            }
        });
    }

    pub(crate) fn view(self, testid: &'static str) -> impl IntoView {
        move || {
            self.error.get().map(|message| {
                view! { <p class="field-error" role="alert" data-testid=testid>{message}</p> }
            })
        }
    }
}

#[component]
pub(crate) fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let pending = Pending::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let next = super::local_path(query.with_untracked(|q| q.get("next")));
        let call = crate::api::login(username.get_untracked(), password.get_untracked());
        pending.run(call, move |_| {
            #[cfg(feature = "hydrate")]
            super::reload_at(&next);
            #[cfg(not(feature = "hydrate"))]
            let _ = next;
        });
    };
    view! {
        <Title text="Sign in · Reel"/>
        <section class="account-form">
            <h1>"Sign in"</h1>
            <form on:submit=submit data-testid="sign-in-form">
                <label>
                    "Name"
                    <input
                        type="text"
                        name="username"
                        autocomplete="username"
                        required
                        data-testid="sign-in-name"
                        bind:value=username
                    />
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                        data-testid="sign-in-password"
                        bind:value=password
                    />
                </label>
                {pending.view("sign-in-error")}
                <button type="submit" class="button" data-testid="sign-in-submit" disabled=move || pending.busy.get()>
                    "Sign in"
                </button>
            </form>
        </section>
    }
}

/// `/setup?token=…`: the first admin. Anything but the live token shows
/// the not-found page.
#[component]
pub(crate) fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let allowed = Resource::new(token, crate::api::setup_allowed);
    view! {
        <Title text="Set up · Reel"/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                if allowed.await.unwrap_or(false) {
                    view! { <SetupForm token=token()/> }.into_any()
                } else {
                    view! { <crate::app::NotFound/> }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn SetupForm(token: String) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let pending = Pending::new();
    let token = StoredValue::new(token);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (name, password) = (username.get_untracked(), password.get_untracked());
        if let Err(e) = clean_name(&name).and_then(|_| check_password(&password)) {
            pending.error.set(Some(e.message));
            return;
        }
        let call = crate::api::complete_setup(token.get_value(), name, password);
        pending.run(call, |_| {
            #[cfg(feature = "hydrate")]
            super::reload_at("/");
        });
    };
    view! {
        <section class="account-form">
            <h1>"Welcome to Reel"</h1>
            <p>"Make the first account. It is the admin: it adds the other users."</p>
            <form on:submit=submit data-testid="setup-form">
                <label>
                    "Name"
                    <input type="text" autocomplete="username" required bind:value=username data-testid="setup-name"/>
                </label>
                <label>
                    "Password (at least 8 characters)"
                    <input
                        type="password"
                        autocomplete="new-password"
                        required
                        minlength="8"
                        bind:value=password
                        data-testid="setup-password"
                    />
                </label>
                {pending.view("setup-error")}
                <button type="submit" class="button" disabled=move || pending.busy.get() data-testid="setup-submit">
                    "Make the admin account"
                </button>
            </form>
        </section>
    }
}
