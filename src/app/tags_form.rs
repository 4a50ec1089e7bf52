//! An item's tags on its page: a line for people ("Artist — Album (1999)"),
//! the rows of the facts list, and for people who may change the item a
//! form that edits them.

use leptos::prelude::*;

use crate::model::{ItemTags, MediaItem};

/// "Artist — Album (1999)" under the heading, when the file says any of it.
#[component]
pub(crate) fn Byline(item: Memo<MediaItem>) -> impl IntoView {
    move || {
        let line = item.with(|i| i.tags.byline());
        (!line.is_empty())
            .then(|| view! { <p class="byline" data-testid="media-byline">{line}</p> })
    }
}

/// The tags as rows of the facts list (`<dt>`/`<dd>` pairs).
pub(crate) fn tag_facts(tags: &ItemTags) -> impl IntoView + use<> {
    let text = [
        ("Artist", tags.artist.clone()),
        ("Album", tags.album.clone()),
        ("Album artist", tags.album_artist.clone()),
        ("Genre", tags.genre.clone()),
        ("Year", tags.year.map(|y| y.to_string())),
        (
            "Track",
            tags.track.map(|t| match tags.disc {
                Some(d) => format!("{t} (disc {d})"),
                None => t.to_string(),
            }),
        ),
    ];
    text.into_iter()
        .filter_map(|(name, value)| value.map(|v| view! { <dt>{name}</dt> <dd>{v}</dd> }))
        .collect_view()
}

/// One text field of the form.
#[derive(Clone, Copy)]
struct Field {
    label: &'static str,
    testid: &'static str,
    value: RwSignal<String>,
    numeric: bool,
}

impl Field {
    fn new(
        label: &'static str,
        testid: &'static str,
        value: Option<String>,
        numeric: bool,
    ) -> Self {
        Field {
            label,
            testid,
            value: RwSignal::new(value.unwrap_or_default()),
            numeric,
        }
    }

    fn text(&self) -> Option<String> {
        Some(self.value.get_untracked()).filter(|v| !v.trim().is_empty())
    }

    /// The number typed, `Ok(None)` when empty; an error names the field.
    fn number(&self) -> Result<Option<u32>, String> {
        match self.text() {
            None => Ok(None),
            Some(text) => {
                text.trim().parse().map(Some).map_err(|_| {
                    format!("The {} must be a whole number.", self.label.to_lowercase())
                })
            }
        }
    }
}

/// "Edit tags" and the form it opens.
#[component]
pub(crate) fn TagsEditor(
    id: String,
    item: Memo<MediaItem>,
    on_saved: Callback<MediaItem>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let id = StoredValue::new(id);
    view! {
        <Show
            when=move || open.get()
            fallback=move || view! {
                <button type="button" class="row-button" data-testid="edit-tags" on:click=move |_| open.set(true)>
                    "Edit tags"
                </button>
            }
        >
            <TagsForm id=id.get_value() tags=item.get_untracked().tags open on_saved/>
        </Show>
    }
}

#[component]
fn TagsForm(
    id: String,
    tags: ItemTags,
    open: RwSignal<bool>,
    on_saved: Callback<MediaItem>,
) -> impl IntoView {
    let artist = Field::new("Artist", "tag-artist", tags.artist, false);
    let album = Field::new("Album", "tag-album", tags.album, false);
    let album_artist = Field::new("Album artist", "tag-album-artist", tags.album_artist, false);
    let genre = Field::new("Genre", "tag-genre", tags.genre, false);
    let year = Field::new("Year", "tag-year", tags.year.map(|n| n.to_string()), true);
    let track = Field::new(
        "Track",
        "tag-track",
        tags.track.map(|n| n.to_string()),
        true,
    );
    let disc = Field::new("Disc", "tag-disc", tags.disc.map(|n| n.to_string()), true);
    let fields = [artist, album, album_artist, genre, year, track, disc];
    let error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let id = StoredValue::new(id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let numbers = (year.number(), track.number(), disc.number());
        let (year, track, disc) = match numbers {
            (Ok(y), Ok(t), Ok(d)) => (y, t, d),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error.set(Some(e)),
        };
        let edited = ItemTags {
            artist: artist.text(),
            album: album.text(),
            album_artist: album_artist.text(),
            genre: genre.text(),
            year,
            track,
            disc,
        };
        let edited = match edited.clean() {
            Ok(tags) => tags,
            Err(message) => return error.set(Some(message)),
        };
        error.set(None);
        saving.set(true);
        leptos::task::spawn_local(async move {
            let result = crate::api::update_tags(id.get_value(), edited).await;
            let _ = saving.try_set(false);
            match result {
                Ok(item) => {
                    open.set(false);
                    on_saved.run(item);
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let inputs = fields
        .into_iter()
        .map(|field| {
            let input_id = format!("{}-input", field.testid);
            view! {
                <div class="field">
                    <label for=input_id.clone()>{field.label}</label>
                    <input
                        id=input_id
                        type="text"
                        inputmode=field.numeric.then_some("numeric")
                        data-testid=field.testid
                        prop:value=move || field.value.get()
                        on:input=move |ev| field.value.set(event_target_value(&ev))
                    />
                </div>
            }
        })
        .collect_view();
    view! {
        <form class="tags-form" data-testid="tags-form" novalidate on:submit=submit>
            <div class="tags-fields">{inputs}</div>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="card-actions">
                <button type="submit" class="button small-button" data-testid="tags-save" disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save tags" }}
                </button>
                <button type="button" class="row-button" on:click=move |_| open.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}
