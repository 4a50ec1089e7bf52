//! The library page: the upload zone, a toolbar (search, sort, filters), one
//! page of cards and a pager, server-rendered and hydrated. What is shown
//! lives in the URL query (`LibraryQuery`), so a link shows the same page;
//! the toolbar and the pager only change the URL. Cards show live processing
//! progress from the event stream, and the page is fetched again when an
//! event says something on it (or, on the front page, something new) changed.

mod caption_hits;
mod card;
mod dialog;
mod edit_form;
mod pager;
mod selection;
mod selection_bar;
mod toolbar;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::ErrorNotice;
use super::account::{Session, can_upload};
use super::live::Live;
use super::upload::{FILE_INPUT_ID, UploadZone};
use crate::accounts::Me;
use crate::api;
use crate::error::ApiError;
use crate::library::{LibraryPage as Page, LibraryQuery};
use crate::model::MediaState;

use super::collections::SaveAsSmart;
use super::now_playing::PlayAll;
use caption_hits::CaptionHits;
use card::MediaGrid;
use dialog::ConfirmDelete;
use pager::{Pager, ResultCount};
use selection_bar::SelectionBar;
use toolbar::Toolbar;

/// The page's own state, shared by its parts: which card is being edited,
/// which item waits for a delete confirmation, and what was deleted here.
/// While a form or dialog is open, fetching the page again waits (a fresh
/// grid would throw away what the person is typing).
#[derive(Clone, Copy)]
pub(crate) struct LibraryUi {
    /// The id of the card whose edit form is open.
    pub editing: RwSignal<Option<String>>,
    /// The item (id, title) the delete dialog asks about.
    pub deleting: RwSignal<Option<(String, String)>>,
    /// Items deleted from this page, hidden until the next fetch drops them.
    pub removed: RwSignal<Vec<String>>,
    /// A fetch was asked for while a form was open.
    stale: RwSignal<bool>,
    /// The id of the element in the grid that last had focus: a fresh grid
    /// gives focus back to its twin, so fetching never throws the keyboard
    /// user back to the top of the page.
    last_focus: StoredValue<Option<String>>,
    page: Resource<Result<Page, ApiError>>,
    /// The cards chosen for bulk work.
    pub selection: selection::Selection,
}

impl LibraryUi {
    /// Fetches the page again, now or as soon as no form is open.
    pub(crate) fn refresh(&self) {
        if self.editing.get_untracked().is_some() || self.deleting.get_untracked().is_some() {
            self.stale.set(true);
        } else {
            self.page.refetch();
        }
    }

    /// Remembers which element of the grid has focus (from `focusin`).
    pub(crate) fn note_focus(&self, id: String) {
        if !id.is_empty() {
            self.last_focus.set_value(Some(id));
        }
    }

    /// Called by a new card: if focus was lost (it is on the body) and it was
    /// last on one of `ids`, puts it back there, after the grid is swapped.
    pub(crate) fn restore_focus(&self, ids: &[String]) {
        #[cfg(feature = "hydrate")]
        {
            let Some(want) = self.last_focus.get_value() else {
                return;
            };
            if !ids.contains(&want) {
                return;
            }
            request_animation_frame(move || {
                let lost = document()
                    .active_element()
                    .is_none_or(|active| active.tag_name().eq_ignore_ascii_case("body"));
                if lost {
                    focus_id(&want);
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ids;
    }

    pub(crate) fn is_removed(&self, id: &str) -> bool {
        self.removed.with(|removed| removed.iter().any(|r| r == id))
    }
}

/// The query the URL asks for; any URL gives some query.
pub(crate) fn use_library_query() -> Memo<LibraryQuery> {
    let map = use_query_map();
    Memo::new(move |_| {
        map.with(|map| LibraryQuery::from_query(map.latest_values().map(|(k, v)| (k.as_ref(), v))))
    })
}

/// The view new uploads land on: the first page, newest first, unfiltered.
fn is_front(query: &LibraryQuery) -> bool {
    query.page == 1
        && query.sort == crate::library::Sort::Newest
        && query.q.trim().is_empty()
        && query.kind.is_none()
        && query.state.is_none()
}

#[component]
pub(crate) fn LibraryPage() -> impl IntoView {
    let query = use_library_query();
    let page = Resource::new(move || query.get(), api::list_library);
    let limits = Resource::new(|| (), |_| api::upload_limits());
    let ui = LibraryUi {
        editing: RwSignal::new(None),
        deleting: RwSignal::new(None),
        removed: RwSignal::new(Vec::new()),
        stale: RwSignal::new(false),
        last_focus: StoredValue::new(None),
        page,
        selection: selection::Selection::new(),
    };
    let refresh = Callback::new(move |()| ui.refresh());
    // A fetch put off while a form was open happens once it closes.
    Effect::new(move |_| {
        let open = ui.editing.with(Option::is_some) || ui.deleting.with(Option::is_some);
        if !open && ui.stale.get_untracked() {
            ui.stale.set(false);
            page.refetch();
        }
    });

    // Fetch the page again when events show it is out of date: on the front
    // page new items count too; elsewhere only the items shown do (events
    // about items filtered out would otherwise fetch on every progress tick).
    let live = Live::get();
    let shown = move || {
        page.get_untracked().and_then(|r| r.ok()).map(|p| {
            p.items
                .into_iter()
                .map(|item| (item.id.to_string(), item.state))
                .collect()
        })
    };
    live.follow(shown, false, move || {
        if !query.with_untracked(is_front) {
            ui.refresh();
        }
    });
    live.follow(shown, true, move || {
        if query.with_untracked(is_front) {
            ui.refresh();
        }
    });
    // Without the event stream, look again now and then while anything processes.
    super::refresh_while(
        move || {
            live.broken()
                && page
                    .get()
                    .and_then(|r| r.ok())
                    .is_some_and(|p| p.items.iter().any(|i| i.state == MediaState::Processing))
        },
        move || ui.refresh(),
    );

    let pending = RwSignal::new(false);
    let session = Session::get();
    view! {
        <Title text="Library · Reel"/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let me = session.load().await;
                can_upload(me.as_ref()).then(|| view! { <UploadZone limits on_item_changed=refresh/> })
            })}
        </Transition>
        <section class="library" aria-labelledby="library-heading">
            <div class="library-head">
                <h2 id="library-heading" tabindex="-1">"Library"</h2>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        page.await.ok().map(|p| view! {
                            <ResultCount page=p.clone() query=query.get_untracked()/>
                            <PlayAll items=p.items/>
                        })
                    })}
                </Transition>
            </div>
            <Toolbar query/>
            <CaptionHits query/>
            // Each boundary waits for the session itself: a signal set by
            // another boundary may not be set yet when the server renders this
            // one (on a fresh server's first page it was not, and hydration met
            // a form the server never sent).
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    session.load().await.is_some().then(|| view! { <SaveAsSmart query/> })
                })}
            </Transition>
            <SelectionBar ui/>
            <div class="library-results" class:loading=move || pending.get() aria-busy=move || pending.get().to_string()>
                <Transition
                    fallback=|| view! { <p class="muted">"Loading the library…"</p> }
                    set_pending=pending.write_only()
                >
                    {move || Suspend::new(async move {
                        let result = page.await;
                        let query = query.get_untracked();
                        let me = session.load().await;
                        match result {
                            Ok(p) if p.items.is_empty() => view! { <Nothing page=p query me/> }.into_any(),
                            Ok(p) => {
                                view! {
                                    <MediaGrid items=p.items.clone() ui selectable=me.is_some() on_changed=refresh/>
                                    <Pager page=p query/>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </section>
        <ConfirmDelete ui/>
    }
    .into_any()
}

/// An empty page: an empty library invites the first drop; a search or
/// filter that finds nothing says so and offers a way back; a page past the
/// end links to the last one.
#[component]
fn Nothing(page: Page, query: LibraryQuery, me: Option<Me>) -> impl IntoView {
    let filtered = !query.q.trim().is_empty() || query.kind.is_some() || query.state.is_some();
    if page.total > 0 {
        let last = query.with_page(page.pages()).href("/");
        return view! {
            <div class="empty" data-testid="library-past-end">
                <p>"There is nothing on this page."</p>
                <a href=last>{format!("Go to the last page ({})", page.pages())}</a>
            </div>
        }
        .into_any();
    }
    if !filtered && me.is_none() {
        return view! {
            <div class="empty" data-testid="library-sign-in">
                <p class="empty-title">"Sign in to see the library"</p>
                <p><a class="button" href="/login">"Sign in"</a></p>
            </div>
        }
        .into_any();
    }
    if !filtered && !can_upload(me.as_ref()) {
        return view! {
            <div class="empty" data-testid="library-empty">
                <p class="empty-title">"Nothing has been shared with you yet"</p>
            </div>
        }
        .into_any();
    }
    if !filtered {
        return view! {
            <div class="empty empty-invite" data-testid="library-empty">
                <span class="empty-mark" aria-hidden="true">"♫ ▶"</span>
                <p class="empty-title">"Your library is empty"</p>
                <p class="muted">
                    "Drop audio or video files anywhere on this page, or choose them from your device."
                </p>
                <label class="button" for=FILE_INPUT_ID>"Choose files…"</label>
            </div>
        }
        .into_any();
    }
    let clear = LibraryQuery {
        sort: query.sort,
        ..LibraryQuery::default()
    }
    .href("/");
    let what = if query.q.trim().is_empty() {
        "Nothing matches these filters.".to_string()
    } else {
        format!("Nothing matches “{}”.", query.q.trim())
    };
    view! {
        <div class="empty" data-testid="library-no-results">
            <p class="empty-title">{what}</p>
            <p>
                <a href=clear data-testid="library-clear">"Clear the search and filters"</a>
            </p>
        </div>
    }
    .into_any()
}

/// Moves keyboard focus to the element with this id (browser only).
pub(crate) fn focus_id(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(element) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}
