//! "Said in captions": while the library is searched, the items whose
//! captions say the words, each linking to its page at that moment.

use leptos::prelude::*;

use crate::api;
use crate::format;
use crate::library::LibraryQuery;

#[component]
pub(crate) fn CaptionHits(query: Memo<LibraryQuery>) -> impl IntoView {
    let words = Memo::new(move |_| query.with(|q| q.q.trim().to_string()));
    let hits = Resource::new(
        move || words.get(),
        |q| async move {
            if q.is_empty() {
                Ok(Vec::new())
            } else {
                api::search_captions(q).await
            }
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let hits = hits.await.ok().filter(|h| !h.is_empty())?;
                let rows = hits
                    .into_iter()
                    .map(|hit| view! {
                        <li>
                            <a href=hit.href() data-testid="caption-hit">
                                <span class="hit-title">{hit.title.clone()}</span>
                                <span class="hit-time">{format::duration(hit.at_secs)}</span>
                                <q class="hit-text">{hit.text.clone()}</q>
                            </a>
                        </li>
                    })
                    .collect_view();
                Some(view! {
                    <section class="caption-hits" data-testid="caption-hits" aria-label="Said in captions">
                        <h3>"Said in captions"</h3>
                        <ul>{rows}</ul>
                    </section>
                })
            })}
        </Transition>
    }
}
