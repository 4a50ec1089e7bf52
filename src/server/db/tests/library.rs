//! The library's queries on both backends: search, sorts, filters, pages.

use super::*;
use crate::library::{LibraryQuery, Sort};
use crate::model::MediaKind;

/// Search matches every typed word as the start of a word of the title,
/// file name or description, without case or accents, on both backends.
#[tokio::test]
async fn search_matches_word_prefixes_without_case_or_accents() {
    on_both(|repo| async move {
        let titles = [
            "Café Crème",
            "Ärger im Büro",
            "Holiday_2024.mp4",
            "Caffeine",
        ];
        let mut ids = Vec::new();
        for title in titles {
            ids.push(
                repo.insert(&NewMedia::example(title, MediaKind::Audio), &[])
                    .await
                    .expect("insert")
                    .item
                    .id,
            );
        }
        repo.update_text(&ids[3], "Caffeine", "notes from the ÉCOLE")
            .await
            .expect("text");
        let found = |q: &'static str| {
            let repo = repo.clone();
            async move {
                let query = LibraryQuery {
                    q: q.into(),
                    sort: Sort::Title,
                    ..LibraryQuery::default()
                };
                let (items, total) = repo
                    .library_page(&query, &Listing::All, None)
                    .await
                    .expect("page");
                assert_eq!(total, items.len() as u64, "{q}");
                items.into_iter().map(|s| s.item.title).collect::<Vec<_>>()
            }
        };
        assert_eq!(found("cafe").await, ["Café Crème"]);
        // Titles sort by their lower-case bytes on both (SQLite: NOCASE).
        assert_eq!(found("CAF").await, ["Caffeine", "Café Crème"]);
        assert_eq!(found("crème caf").await, ["Café Crème"]);
        assert_eq!(found("arg buro").await, ["Ärger im Büro"]);
        assert_eq!(found("holi 20").await, ["Holiday_2024.mp4"]);
        assert_eq!(found("mp4").await, ["Holiday_2024.mp4"]);
        // The file name and the description count; the middle of a word does not.
        assert_eq!(found("ecol").await, ["Caffeine"]);
        assert!(found("feine").await.is_empty());
        assert!(found("cafe holi").await.is_empty());
        // Query syntax of either backend is plain text.
        assert_eq!(found("\"cafe\"* & !|:").await, ["Café Crème"]);
        assert_eq!(found(" ").await.len(), 4);
    })
    .await;
}

/// Pages, sorts and filters list what a viewer may see.
#[tokio::test]
async fn library_pages_sort_filter_and_limit() {
    on_both(|repo| async move {
        let owner = repo
            .create_user("ann", "x", crate::accounts::Role::Member, None)
            .await
            .expect("user")
            .expect("new");
        let mut long = NewMedia::example("b long", MediaKind::Video);
        long.facts.duration_secs = Some(60.0);
        long.size_bytes = 5;
        long.owner = Some(owner.clone());
        long.visibility = Visibility::Public;
        let mut unknown = NewMedia::example("a unknown", MediaKind::Audio);
        unknown.facts.duration_secs = None;
        let short = NewMedia::example("C short", MediaKind::Audio);
        for new in [&long, &unknown, &short] {
            repo.insert(new, &[]).await.expect("insert");
        }
        let titles = |sort: Sort, listing: Listing| {
            let repo = repo.clone();
            async move {
                let query = LibraryQuery {
                    sort,
                    ..LibraryQuery::default()
                };
                let (items, _) = repo
                    .library_page(&query, &listing, None)
                    .await
                    .expect("page");
                items.into_iter().map(|s| s.item.title).collect::<Vec<_>>()
            }
        };
        assert_eq!(
            titles(Sort::Title, Listing::All).await,
            ["a unknown", "b long", "C short"]
        );
        assert_eq!(
            titles(Sort::Duration, Listing::All).await,
            ["b long", "C short", "a unknown"]
        );
        assert_eq!(titles(Sort::Size, Listing::All).await[0], "b long");
        assert_eq!(
            titles(Sort::Newest, Listing::All).await,
            ["C short", "a unknown", "b long"]
        );
        assert_eq!(titles(Sort::Oldest, Listing::Public).await, ["b long"]);
        assert_eq!(
            titles(Sort::Title, Listing::SignedIn(owner.clone())).await,
            ["b long"]
        );
        assert!(titles(Sort::Title, Listing::Nothing).await.is_empty());
        let query = LibraryQuery {
            kind: Some(MediaKind::Audio),
            per_page: 1,
            page: 2,
            sort: Sort::Title,
            ..LibraryQuery::default()
        };
        let (items, total) = repo
            .library_page(&query, &Listing::All, None)
            .await
            .expect("page");
        assert_eq!((items.len(), total), (1, 2));
        assert_eq!(items[0].item.title, "C short");
        let ids = repo.media_ids_in_use().await.expect("ids");
        assert_eq!(ids.len(), 3);
        assert!(repo.delete_media(&long.id).await.expect("delete"));
        assert!(!repo.delete_media(&long.id).await.expect("again"));
        assert_eq!(repo.count().await.expect("count"), 2);
    })
    .await;
}
