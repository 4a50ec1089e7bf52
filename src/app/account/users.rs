//! `/admin/users`: the admin's page. Every user with their role, storage
//! used and quota; adding users, changing roles and quotas, disabling and
//! enabling, setting a new password; and whether visitors may browse the
//! public items.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;

use super::Session;
use super::settings::SignInFirst;
use super::sign_in::Pending;
use crate::accounts::{Role, UserSummary, check_password, clean_name};
use crate::format;

#[component]
pub(crate) fn UsersPage() -> impl IntoView {
    let session = Session::get();
    view! {
        <Title text="Users · Reel"/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match session.load().await {
                    Some(me) if me.role == Role::Admin => view! { <Admin/> }.into_any(),
                    Some(_) => view! { <crate::app::NotFound/> }.into_any(),
                    None => view! { <SignInFirst/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Admin() -> impl IntoView {
    let users = Resource::new(|| (), |_| crate::api::list_users());
    let pending = Pending::new();
    let refetch = move || users.refetch();
    view! {
        <section class="account-page">
            <h1>"Users"</h1>
            <SiteSettingsForm/>
            {pending.view("users-error")}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = users.await.unwrap_or_default();
                    view! {
                        <table class="users" data-testid="users">
                            <thead>
                                <tr><th>"Name"</th><th>"Role"</th><th>"Storage"</th><th>"Quota"</th><th></th></tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|user| view! { <UserRow user pending on_changed=refetch/> }).collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            </Transition>
            <NewUserForm on_added=refetch/>
        </section>
    }
}

#[component]
fn UserRow(
    user: UserSummary,
    pending: Pending,
    on_changed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = StoredValue::new(user.id.to_string());
    let quota_text = user
        .quota_bytes
        .map_or_else(|| "no limit".to_string(), format::bytes);
    let quota_gb = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let set_role = move |role: Role| {
        let call = crate::api::update_user(id.get_value(), Some(role), None, None, false);
        pending.run(call, move |()| on_changed());
    };
    let set_disabled = move |disabled: bool| {
        let call = crate::api::update_user(id.get_value(), None, Some(disabled), None, false);
        pending.run(call, move |()| on_changed());
    };
    let set_quota = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = quota_gb.get_untracked();
        let (quota, clear) = match text.trim() {
            "" => (None, true),
            gb => match gb.parse::<f64>() {
                Ok(gb) if gb >= 0.0 => (Some((gb * 1e9) as u64), false),
                _ => {
                    pending.error.set(Some(
                        "A quota is a number of GB, or empty for no limit.".into(),
                    ));
                    return;
                }
            },
        };
        pending.run(
            crate::api::update_user(id.get_value(), None, None, quota, clear),
            move |()| on_changed(),
        );
    };
    let reset = move |ev: SubmitEvent| {
        ev.prevent_default();
        let password = new_password.get_untracked();
        if let Err(e) = check_password(&password) {
            pending.error.set(Some(e.message));
            return;
        }
        pending.run(
            crate::api::reset_password(id.get_value(), password),
            move |()| {
                new_password.set(String::new());
            },
        );
    };
    let disabled = user.disabled;
    view! {
        <tr data-testid="user" data-name=user.name.clone() class:disabled=disabled>
            <td>{user.name.clone()} {disabled.then_some(" (disabled)")}</td>
            <td>
                <select on:change=move |ev| {
                    if let Some(role) = Role::parse(&event_target_value(&ev)) {
                        set_role(role);
                    }
                }>
                    {Role::ALL.into_iter().map(|r| view! {
                        <option value=r.as_str() selected=r == user.role>{r.as_str()}</option>
                    }).collect_view()}
                </select>
            </td>
            <td>{format::bytes(user.used_bytes)}</td>
            <td>
                <form on:submit=set_quota class="inline-form">
                    <input type="text" inputmode="decimal" placeholder=quota_text aria-label="Quota in GB" bind:value=quota_gb size="8"/>
                    <button type="submit" class="row-button">"Set"</button>
                </form>
            </td>
            <td>
                <button type="button" class="row-button" on:click=move |_| set_disabled(!disabled)>
                    {if disabled { "Enable" } else { "Disable" }}
                </button>
                <form on:submit=reset class="inline-form">
                    <input type="password" autocomplete="new-password" placeholder="New password" bind:value=new_password size="12"/>
                    <button type="submit" class="row-button">"Set password"</button>
                </form>
            </td>
        </tr>
    }
}

#[component]
fn NewUserForm(on_added: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let pending = Pending::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (n, p) = (name.get_untracked(), password.get_untracked());
        if let Err(e) = clean_name(&n).and_then(|_| check_password(&p)) {
            pending.error.set(Some(e.message));
            return;
        }
        pending.run(
            crate::api::create_user(n, p, role.get_untracked(), None),
            move |()| {
                name.set(String::new());
                password.set(String::new());
                on_added();
            },
        );
    };
    view! {
        <form class="account-form" on:submit=submit data-testid="new-user-form">
            <h2>"Add a user"</h2>
            <label>"Name" <input type="text" required bind:value=name data-testid="new-user-name"/></label>
            <label>
                "Password (at least 8 characters)"
                <input type="password" autocomplete="new-password" required minlength="8" bind:value=password data-testid="new-user-password"/>
            </label>
            <label>
                "Role"
                <select on:change=move |ev| {
                    if let Some(r) = Role::parse(&event_target_value(&ev)) {
                        role.set(r);
                    }
                }>
                    <option value="member" selected>"member: uploads, and changes their own items"</option>
                    <option value="viewer">"viewer: plays what they may see"</option>
                    <option value="admin">"admin: everything"</option>
                </select>
            </label>
            {pending.view("new-user-error")}
            <button type="submit" class="button" disabled=move || pending.busy.get() data-testid="new-user-submit">"Add"</button>
        </form>
    }
}

#[component]
fn SiteSettingsForm() -> impl IntoView {
    let settings = Resource::new(|| (), |_| crate::api::get_site_settings());
    let pending = Pending::new();
    let toggle = move |on: bool| {
        pending.run(crate::api::set_public_browsing(on), move |()| {
            settings.refetch()
        });
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let on = settings.await.map(|s| s.public_browsing).unwrap_or(false);
                view! {
                    <label class="setting">
                        <input type="checkbox" checked=on on:change=move |ev| toggle(event_target_checked(&ev)) data-testid="public-browsing"/>
                        " Visitors who are not signed in see the public items in the library"
                    </label>
                }
            })}
        </Transition>
        {pending.view("settings-error")}
    }
}
