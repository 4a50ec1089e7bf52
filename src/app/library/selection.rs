//! Choosing many cards: a Select toggle on each card (a click or the
//! keyboard's Space toggles one; Shift+click takes every card between the
//! last one toggled and this one), Ctrl/Cmd+A in the grid takes the whole
//! page, Escape lets go. The chosen ids are kept in the page's order,
//! which is the order bulk work (adding to a playlist) uses.

use leptos::prelude::*;

/// The cards chosen on this page.
#[derive(Clone, Copy)]
pub(crate) struct Selection {
    chosen: RwSignal<Vec<String>>,
    /// The card last toggled: one end of a Shift+click range.
    anchor: StoredValue<Option<String>>,
    /// The page's cards (id, title) in order.
    cards: StoredValue<Vec<(String, String)>>,
}

impl Selection {
    pub(crate) fn new() -> Self {
        Selection {
            chosen: RwSignal::new(Vec::new()),
            anchor: StoredValue::new(None),
            cards: StoredValue::new(Vec::new()),
        }
    }

    /// The grid says which cards it shows; chosen cards no longer shown
    /// are let go.
    pub(crate) fn show(&self, cards: Vec<(String, String)>) {
        let shown: Vec<String> = cards.iter().map(|(id, _)| id.clone()).collect();
        self.cards.set_value(cards);
        let kept = self.chosen.with_untracked(|c| {
            c.iter()
                .filter(|id| shown.contains(id))
                .cloned()
                .collect::<Vec<_>>()
        });
        if kept.len() != self.chosen.with_untracked(Vec::len) {
            self.chosen.set(kept);
        }
    }

    pub(crate) fn is_chosen(&self, id: &str) -> bool {
        self.chosen.with(|c| c.iter().any(|x| x == id))
    }

    pub(crate) fn count(&self) -> usize {
        self.chosen.with(Vec::len)
    }

    /// A click (or Space) on a card's toggle; `range` when Shift was held.
    pub(crate) fn toggle(&self, id: &str, range: bool) {
        let anchor = self.anchor.get_value();
        let order: Vec<String> = self
            .cards
            .with_value(|cards| cards.iter().map(|(id, _)| id.clone()).collect());
        let ends = anchor.as_deref().and_then(|a| {
            let from = order.iter().position(|x| x == a)?;
            let to = order.iter().position(|x| x == id)?;
            Some((from.min(to), from.max(to)))
        });
        let mut chosen = self.chosen.get_untracked();
        match ends {
            Some((from, to)) if range => {
                for id in &order[from..=to] {
                    if !chosen.contains(id) {
                        chosen.push(id.clone());
                    }
                }
            }
            _ => {
                if let Some(at) = chosen.iter().position(|x| x == id) {
                    chosen.remove(at);
                } else {
                    chosen.push(id.to_string());
                }
            }
        }
        self.anchor.set_value(Some(id.to_string()));
        self.set_in_page_order(chosen);
    }

    pub(crate) fn choose_all(&self) {
        let all = self
            .cards
            .with_value(|cards| cards.iter().map(|(id, _)| id.clone()).collect());
        self.chosen.set(all);
    }

    pub(crate) fn clear(&self) {
        self.chosen.set(Vec::new());
        self.anchor.set_value(None);
    }

    /// Keeps only `ids` chosen (the ones a bulk request could not do).
    pub(crate) fn keep(&self, ids: &[String]) {
        let kept = self.chosen.get_untracked();
        self.set_in_page_order(kept.into_iter().filter(|id| ids.contains(id)).collect());
    }

    /// The chosen ids, in the page's order.
    pub(crate) fn chosen(&self) -> Vec<String> {
        self.chosen.get()
    }

    /// A card's title, for saying what could not be done to it.
    pub(crate) fn title_of(&self, id: &str) -> String {
        self.cards.with_value(|cards| {
            (cards.iter().find(|(x, _)| x == id)).map_or_else(|| id.to_string(), |(_, t)| t.clone())
        })
    }

    fn set_in_page_order(&self, mut chosen: Vec<String>) {
        self.cards.with_value(|cards| {
            chosen.sort_by_key(|id| cards.iter().position(|(x, _)| x == id));
        });
        self.chosen.set(chosen);
    }

    /// Ctrl/Cmd+A and Escape, from the grid.
    pub(crate) fn on_key(&self, ev: &leptos::ev::KeyboardEvent) {
        let in_text = ev.target().is_some_and(|t| {
            use wasm_bindgen::JsCast;
            t.dyn_ref::<web_sys::Element>().is_some_and(|e| {
                matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    && e.get_attribute("type").as_deref() != Some("checkbox")
            })
        });
        if in_text {
            return;
        }
        match ev.key().as_str() {
            "a" | "A" if ev.ctrl_key() || ev.meta_key() => {
                ev.prevent_default();
                self.choose_all();
            }
            "Escape" if self.count() > 0 => self.clear(),
            _ => {}
        }
    }
}

/// A card's toggle.
#[component]
pub(crate) fn SelectToggle(selection: Selection, id: String, title: String) -> impl IntoView {
    let chosen = {
        let id = id.clone();
        Memo::new(move |_| selection.is_chosen(&id))
    };
    view! {
        <button
            type="button"
            class="select-card"
            class:chosen=move || chosen.get()
            data-testid="select-card"
            aria-pressed=move || chosen.get().to_string()
            aria-label=format!("Select “{title}”")
            title="Select (Shift+click: a range; Ctrl+A: the whole page)"
            on:click=move |ev| selection.toggle(&id, ev.shift_key())
        >
            <span aria-hidden="true">{move || if chosen.get() { "☑" } else { "☐" }}</span>
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[&str]) -> Selection {
        let selection = Selection::new();
        selection.show(
            ids.iter()
                .map(|id| (id.to_string(), id.to_uppercase()))
                .collect(),
        );
        selection
    }

    #[test]
    fn shift_takes_the_range_from_the_last_toggle_in_page_order() {
        let owner = Owner::new();
        owner.set();
        let s = page(&["a", "b", "c", "d", "e", "f"]);
        s.toggle("b", false);
        s.toggle("e", true);
        assert_eq!(s.chosen.get_untracked(), ["b", "c", "d", "e"]);
        s.toggle("a", false);
        assert_eq!(s.chosen.get_untracked(), ["a", "b", "c", "d", "e"]);
        s.toggle("c", false);
        assert_eq!(s.chosen.get_untracked(), ["a", "b", "d", "e"]);
        s.keep(&["e".into(), "a".into()]);
        assert_eq!(s.chosen.get_untracked(), ["a", "e"]);
        assert_eq!(s.title_of("e"), "E");
    }

    #[test]
    fn a_new_page_lets_go_of_cards_it_does_not_show() {
        let owner = Owner::new();
        owner.set();
        let s = page(&["a", "b"]);
        s.choose_all();
        s.show(vec![("b".into(), "B".into()), ("z".into(), "Z".into())]);
        assert_eq!(s.chosen.get_untracked(), ["b"]);
    }
}
