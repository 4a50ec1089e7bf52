//! Adaptive streaming in the media page's `<video>`: hls.js where the
//! browser has Media Source Extensions (it is loaded only on pages that
//! play a ladder), the browser's own HLS where it has no MSE (iOS Safari),
//! and the progressive copy when neither works. A quality menu offers Auto
//! and each rung, and says which rung plays.
//!
//! hls.js comes from npm at the version `end2end/package.json` pins; the
//! set-up script copies its light UMD build into the site (`public/vendor`).

use leptos::html;
use leptos::prelude::*;

/// Where the site serves hls.js (the light build: no alternate audio,
/// subtitles or DRM, which the ladder does not use).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) const HLS_JS: &str = "/vendor/hls-1.7.4.light.min.js";

/// What the quality menu shows, kept in step with the player.
#[derive(Clone, Copy)]
pub(crate) struct Quality {
    /// Each rung's height, in hls.js's level order (slowest first).
    pub(crate) rungs: RwSignal<Vec<u32>>,
    /// The rung that plays now, as an index into `rungs`.
    pub(crate) playing: RwSignal<Option<usize>>,
    /// Whether hls.js picks the rung itself.
    pub(crate) auto: RwSignal<bool>,
    /// The rung asked for (`None`: Auto); read by the player glue.
    pub(crate) asked: RwSignal<Option<usize>>,
}

impl Quality {
    pub(crate) fn new() -> Self {
        Quality {
            rungs: RwSignal::new(Vec::new()),
            playing: RwSignal::new(None),
            auto: RwSignal::new(true),
            asked: RwSignal::new(None),
        }
    }
}

/// "720p".
fn rung_label(height: u32) -> String {
    format!("{height}p")
}

/// Plays `master` in the `<video>` behind `video` once it is mounted, and
/// keeps `quality` in step; `fallback` (the progressive copy) plays when
/// HLS cannot.
pub(crate) fn attach(
    video: NodeRef<html::Video>,
    master: String,
    fallback: Option<String>,
    quality: Quality,
) {
    #[cfg(feature = "hydrate")]
    browser::attach(video, master, fallback, quality);
    #[cfg(not(feature = "hydrate"))]
    let _ = (video, master, fallback, quality);
}

/// Auto and each rung; shown once hls.js knows the ladder.
#[component]
pub(crate) fn QualityMenu(quality: Quality) -> impl IntoView {
    let on_change = move |ev: web_sys::Event| {
        let value = event_target_value(&ev);
        quality.asked.set(value.parse::<usize>().ok());
    };
    let now = move || {
        quality
            .playing
            .get()
            .and_then(|n| quality.rungs.with(|r| r.get(n).copied()))
            .map(rung_label)
            .unwrap_or_default()
    };
    let options = move || {
        let rungs = quality.rungs.get();
        let auto_label = match quality.auto.get() {
            true if !now().is_empty() => format!("Auto ({})", now()),
            _ => "Auto".to_string(),
        };
        let auto = view! {
            <option value="auto" prop:selected=move || quality.asked.get().is_none()>{auto_label}</option>
        };
        // Largest first, as people read a quality list.
        let mut listed: Vec<(usize, u32)> = rungs.into_iter().enumerate().collect();
        listed.sort_by_key(|(_, height)| std::cmp::Reverse(*height));
        let each = listed
            .into_iter()
            .map(|(n, height)| {
                view! {
                    <option value=n.to_string() prop:selected=move || quality.asked.get() == Some(n)>
                        {rung_label(height)}
                    </option>
                }
            })
            .collect_view();
        (auto, each)
    };
    move || {
        (!quality.rungs.with(Vec::is_empty)).then(|| {
            view! {
                <label class="quality">
                    <span>"Quality"</span>
                    <select data-testid="quality" aria-label="Video quality" on:change=on_change>
                        {options}
                    </select>
                    <span class="muted small" data-testid="quality-now" aria-live="polite">{now}</span>
                </label>
            }
        })
    }
}

#[cfg(feature = "hydrate")]
mod browser;

#[cfg(test)]
mod tests {
    #[test]
    fn the_served_hls_js_is_the_version_npm_pins() {
        let package = include_str!("../../end2end/package.json");
        let pinned = package
            .lines()
            .find_map(|line| line.trim().strip_prefix("\"hls.js\": \""))
            .and_then(|rest| rest.split('"').next())
            .expect("hls.js is pinned in end2end/package.json");
        assert_eq!(super::HLS_JS, format!("/vendor/hls-{pinned}.light.min.js"));
    }
}
