//! What can be done to the chosen cards, all in one request each (`bulk`):
//! add or remove tags, set who may see them, add them to a playlist (a new
//! one too), retry their processing, delete them (after one question that
//! names how many). The answer says what was done and, item by item, what
//! was not and why; when some failed, only those stay chosen.

use leptos::prelude::*;

use super::LibraryUi;
use crate::accounts::Visibility;
use crate::api::{bulk, create_collection, list_collections};
use crate::collections::{CollectionId, CollectionKind};
use crate::error::ApiError;
use crate::model::bulk::{BulkAction, BulkReport};
use crate::model::labels::split_labels;

/// The playlist menu's value for "a new playlist".
const NEW_PLAYLIST: &str = "new";

#[component]
pub(crate) fn SelectionBar(ui: LibraryUi) -> impl IntoView {
    let selection = ui.selection;
    let busy = RwSignal::new(false);
    let report = RwSignal::new(None::<Result<(BulkReport, Vec<(String, String)>), ApiError>>);
    let labels = RwSignal::new(String::new());
    let visibility = RwSignal::new(Visibility::Private);
    let playlist = RwSignal::new(String::new());
    let new_name = RwSignal::new(String::new());
    let confirming = RwSignal::new(false);
    let shown = move || selection.count() > 0;
    let playlists = Resource::new(shown, |open| async move {
        if !open {
            return Ok(Vec::new());
        }
        let all = list_collections().await?;
        Ok::<_, ApiError>(
            all.into_iter()
                .filter(|c| c.kind == CollectionKind::Playlist && c.can_change)
                .collect::<Vec<_>>(),
        )
    });

    let run = move |action: BulkAction| {
        let ids = selection.chosen();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = bulk(ids, action).await.map(|r| {
                let failed = (r.failed.iter())
                    .map(|f| (selection.title_of(&f.id), f.error.message.clone()))
                    .collect();
                (r, failed)
            });
            // What could not be done stays chosen, to try again; after a
            // whole success the choice stays for the next action (deleted
            // cards leave it with the grid).
            if let Ok((r, _)) = &outcome {
                if !r.failed.is_empty() {
                    let left: Vec<String> = r.failed.iter().map(|f| f.id.clone()).collect();
                    selection.keep(&left);
                }
                ui.refresh();
            }
            report.set(Some(outcome));
            busy.set(false);
        });
    };
    let tags = move || split_labels(&labels.get_untracked());
    let add_to_playlist = move || {
        let chosen = playlist.get_untracked();
        if chosen != NEW_PLAYLIST {
            if let Some(id) = CollectionId::parse(&chosen) {
                run(BulkAction::AddToPlaylist { playlist: id });
            }
            return;
        }
        let name = new_name.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match create_collection(name, CollectionKind::Playlist, None).await {
                Ok(made) => {
                    playlist.set(made.id.to_string());
                    new_name.set(String::new());
                    playlists.refetch();
                    run(BulkAction::AddToPlaylist { playlist: made.id });
                }
                Err(e) => {
                    report.set(Some(Err(e)));
                    busy.set(false);
                }
            }
        });
    };
    let count_text = move || match selection.count() {
        1 => "1 item".to_string(),
        n => format!("{n} items"),
    };

    view! {
        <Show when=move || shown() || report.with(Option::is_some)>
            <section class="selection-bar" aria-label="Chosen items" data-testid="selection-bar">
                <p class="selection-count" role="status" data-testid="selection-count">
                    {move || format!("{} chosen", count_text())}
                </p>
                <div class="selection-actions" class:hidden=move || !shown()>
                    <button type="button" class="row-button" on:click=move |_| selection.choose_all()>"Choose all on this page"</button>
                    <button type="button" class="row-button" data-testid="selection-clear" on:click=move |_| { selection.clear(); report.set(None); }>"Let go"</button>
                    <span class="action-group">
                        <input type="text" placeholder="tags, comma-separated" aria-label="Tags for the chosen items" bind:value=labels data-testid="selection-tags"/>
                        <button type="button" class="row-button" disabled=move || busy.get() data-testid="selection-add-tags"
                            on:click=move |_| run(BulkAction::AddLabels { labels: tags() })>"Add tags"</button>
                        <button type="button" class="row-button" disabled=move || busy.get()
                            on:click=move |_| run(BulkAction::RemoveLabels { labels: tags() })>"Remove tags"</button>
                    </span>
                    <span class="action-group">
                        <select aria-label="Playlist" data-testid="selection-playlist" on:change=move |ev| playlist.set(event_target_value(&ev))>
                            <option value="" selected=move || playlist.get().is_empty()>"Playlist…"</option>
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    playlists.await.unwrap_or_default().into_iter().map(|c| {
                                        let id = c.id.to_string();
                                        let value = id.clone();
                                        view! { <option value=value selected=move || playlist.get() == id>{c.name}</option> }
                                    }).collect_view()
                                })}
                            </Transition>
                            <option value=NEW_PLAYLIST>"New playlist…"</option>
                        </select>
                        <Show when=move || playlist.get() == NEW_PLAYLIST>
                            <input type="text" placeholder="New playlist's name" aria-label="New playlist's name" bind:value=new_name data-testid="selection-new-playlist"/>
                        </Show>
                        <button type="button" class="row-button" data-testid="selection-add-to-playlist"
                            disabled=move || busy.get() || playlist.get().is_empty()
                            on:click=move |_| add_to_playlist()>"Add to playlist"</button>
                    </span>
                    <span class="action-group">
                        <select aria-label="Who may see them" on:change=move |ev| {
                            if let Some(v) = Visibility::parse(&event_target_value(&ev)) { visibility.set(v); }
                        }>
                            {Visibility::ALL.into_iter().map(|v| view! { <option value=v.as_str()>{v.label()}</option> }).collect_view()}
                        </select>
                        <button type="button" class="row-button" disabled=move || busy.get()
                            on:click=move |_| run(BulkAction::SetVisibility { visibility: visibility.get_untracked() })>"Set visibility"</button>
                    </span>
                    <button type="button" class="row-button" disabled=move || busy.get() on:click=move |_| run(BulkAction::Retry)>"Retry processing"</button>
                    <button type="button" class="row-button danger" disabled=move || busy.get() data-testid="selection-delete"
                        on:click=move |_| confirming.set(true)>"Delete…"</button>
                </div>
                <Show when=move || confirming.get()>
                    <div class="confirm" role="alertdialog" aria-label="Delete the chosen items">
                        <p>{move || format!("Delete {}? This cannot be undone.", count_text())}</p>
                        <button type="button" class="button danger" data-testid="selection-delete-confirm"
                            on:click=move |_| { confirming.set(false); run(BulkAction::Delete); }>
                            {move || format!("Delete {}", count_text())}
                        </button>
                        <button type="button" class="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                </Show>
                {move || report.get().map(|outcome| match outcome {
                    Ok((r, failed)) => view! {
                        <div class="bulk-report" role="status" data-testid="bulk-report">
                            <p>{r.summary()}</p>
                            <ul>
                                {failed.into_iter().map(|(title, why)| view! { <li>{title} ": " {why}</li> }).collect_view()}
                            </ul>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert" data-testid="bulk-report">{e.message}</p> }.into_any(),
                })}
            </section>
        </Show>
    }
}
