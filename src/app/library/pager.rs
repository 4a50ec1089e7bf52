//! How many items match, and links to the pages before and after. Both are
//! plain links built from the query, so they work before hydration too.

use leptos::prelude::*;

use crate::library::{LibraryPage, LibraryQuery};

/// "24 items", "3 results for “holi”".
pub(crate) fn count_text(total: u64, query: &LibraryQuery) -> String {
    let filtered = !query.q.trim().is_empty() || query.kind.is_some() || query.state.is_some();
    let noun = match (filtered, total) {
        (false, 1) => "item",
        (false, _) => "items",
        (true, 1) => "result",
        (true, _) => "results",
    };
    match query.q.trim() {
        "" => format!("{total} {noun}"),
        q => format!("{total} {noun} for “{q}”"),
    }
}

#[component]
pub(crate) fn ResultCount(page: LibraryPage, query: LibraryQuery) -> impl IntoView {
    view! {
        <p class="result-count muted" data-testid="library-count" role="status">
            {count_text(page.total, &query)}
        </p>
    }
}

#[component]
pub(crate) fn Pager(page: LibraryPage, query: LibraryQuery) -> impl IntoView {
    let pages = page.pages();
    if pages <= 1 {
        return ().into_any();
    }
    let previous = page
        .has_previous()
        .then(|| query.with_page(page.page - 1).href("/"));
    let next = page
        .has_next()
        .then(|| query.with_page(page.page + 1).href("/"));
    view! {
        <nav class="pager" aria-label="Pages">
            {match previous {
                Some(href) => {
                    view! {
                        <a class="pager-link" href=href rel="prev" data-testid="library-previous">
                            "← Previous"
                        </a>
                    }
                        .into_any()
                }
                None => view! { <span class="pager-link" aria-disabled="true">"← Previous"</span> }.into_any(),
            }}
            <span class="pager-where" data-testid="library-page">
                {format!("Page {} of {pages}", page.page)}
            </span>
            {match next {
                Some(href) => {
                    view! {
                        <a class="pager-link" href=href rel="next" data-testid="library-next">
                            "Next →"
                        </a>
                    }
                        .into_any()
                }
                None => view! { <span class="pager-link" aria-disabled="true">"Next →"</span> }.into_any(),
            }}
        </nav>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_naturally() {
        let all = LibraryQuery::default();
        assert_eq!(count_text(1, &all), "1 item");
        assert_eq!(count_text(24, &all), "24 items");
        let search = LibraryQuery {
            q: " holi ".into(),
            ..LibraryQuery::default()
        };
        assert_eq!(count_text(3, &search), "3 results for “holi”");
        assert_eq!(count_text(1, &search), "1 result for “holi”");
    }
}
