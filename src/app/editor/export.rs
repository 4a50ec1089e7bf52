//! Export (the whole item in another format, a video optionally scaled
//! down), extracting a video's sound, and loudness normalisation (audio).
//! Each makes a new item; its page offers the download once it is ready.

use leptos::prelude::*;

use super::{Source, Submit};
use crate::edit::{EditRequest, ExportFormat, ExportHeight, LoudnessTarget};
use crate::model::MediaKind;

fn format_from(value: &str) -> Option<ExportFormat> {
    ExportFormat::AUDIO
        .into_iter()
        .chain(ExportFormat::VIDEO)
        .find(|f| f.extension() == value)
}

fn height_from(value: &str) -> Option<ExportHeight> {
    ExportHeight::ALL
        .into_iter()
        .find(|h| h.pixels().to_string() == value)
}

fn target_key(target: LoudnessTarget) -> &'static str {
    match target {
        LoudnessTarget::Streaming => "streaming",
        LoudnessTarget::Podcast => "podcast",
        LoudnessTarget::Broadcast => "broadcast",
    }
}

fn target_label(target: LoudnessTarget) -> String {
    let what = match target {
        LoudnessTarget::Streaming => "music streaming",
        LoudnessTarget::Podcast => "podcasts and speech",
        LoudnessTarget::Broadcast => "broadcast, EBU R128",
    };
    // A real minus sign, as the summaries write it.
    format!("−{} LUFS ({what})", -target.lufs())
}

/// The heights a video of `source` pixels may be scaled down to.
pub(crate) fn smaller_heights(source: Option<u32>) -> Vec<ExportHeight> {
    match source {
        Some(h) => ExportHeight::ALL
            .into_iter()
            .filter(|e| e.pixels() < h)
            .collect(),
        None => Vec::new(),
    }
}

/// A labelled select of formats; `testid` names it for tests.
fn format_select(
    id: &'static str,
    formats: Vec<ExportFormat>,
    chosen: RwSignal<ExportFormat>,
) -> impl IntoView {
    view! {
        <label for=id>"Format"</label>
        <select
            id=id
            data-testid=id
            on:change=move |ev| {
                if let Some(f) = format_from(&event_target_value(&ev)) {
                    chosen.set(f);
                }
            }
        >
            {formats
                .into_iter()
                .map(|f| {
                    view! {
                        <option value=f.extension() selected=move || chosen.get() == f>
                            {f.label()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

fn save_button(testid: &'static str, label: &'static str, submit: Submit) -> impl IntoView {
    view! {
        <div class="editor-actions">
            <button type="submit" class="button" data-testid=testid disabled=move || submit.pending.get()>
                {move || if submit.pending.get() { "Starting…" } else { label }}
            </button>
            {submit.error_view()}
        </div>
    }
}

#[component]
pub(crate) fn ExportPanel(source: Source) -> impl IntoView {
    let submit = Submit::new();
    let formats: Vec<ExportFormat> = match source.kind {
        MediaKind::Audio => ExportFormat::AUDIO.to_vec(),
        MediaKind::Video => ExportFormat::VIDEO.to_vec(),
    };
    let format = RwSignal::new(formats[0]);
    let heights = match source.kind {
        MediaKind::Video => smaller_heights(source.height),
        MediaKind::Audio => Vec::new(),
    };
    let height = RwSignal::new(None::<ExportHeight>);
    let height_select = (!heights.is_empty()).then(|| {
        let original = source
            .height
            .map_or("Original size".to_string(), |h| format!("Original size ({h}p)"));
        view! {
            <label for="export-height">"Size"</label>
            <select
                id="export-height"
                data-testid="export-height"
                on:change=move |ev| height.set(height_from(&event_target_value(&ev)))
            >
                <option value="" selected=move || height.get().is_none()>{original}</option>
                {heights
                    .into_iter()
                    .map(|h| {
                        view! {
                            <option value=h.pixels().to_string() selected=move || height.get() == Some(h)>
                                {format!("{}p", h.pixels())}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        }
    });
    let save = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let request = EditRequest::Export {
            format: format.get_untracked(),
            height: height.get_untracked(),
        };
        submit.send(source.id.clone(), request, source.go);
    };
    view! {
        <form class="editor-form" on:submit=save>
            <div class="editor-fields">
                {format_select("export-format", formats, format)}
                {height_select}
            </div>
            <p class="trim-note muted">
                "The export becomes a new item; download it from its page once it is ready."
            </p>
            {save_button("export-save", "Export", submit)}
        </form>
    }
}

#[component]
pub(crate) fn ExtractPanel(source: Source) -> impl IntoView {
    let submit = Submit::new();
    let format = RwSignal::new(ExportFormat::M4a);
    let save = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let request = EditRequest::ExtractAudio {
            format: format.get_untracked(),
        };
        submit.send(source.id.clone(), request, source.go);
    };
    view! {
        <form class="editor-form" on:submit=save>
            <div class="editor-fields">
                {format_select("extract-format", ExportFormat::AUDIO.to_vec(), format)}
            </div>
            <p class="trim-note muted">"The video's sound becomes a new audio item."</p>
            {save_button("extract-save", "Extract audio", submit)}
        </form>
    }
}

#[component]
pub(crate) fn NormalisePanel(source: Source) -> impl IntoView {
    let submit = Submit::new();
    let target = RwSignal::new(LoudnessTarget::Podcast);
    let save = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let request = EditRequest::Normalize {
            target: target.get_untracked(),
        };
        submit.send(source.id.clone(), request, source.go);
    };
    view! {
        <form class="editor-form" on:submit=save>
            <div class="editor-fields">
                <label for="normalise-target">"Target loudness"</label>
                <select
                    id="normalise-target"
                    data-testid="normalise-target"
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        if let Some(t) = LoudnessTarget::ALL.into_iter().find(|t| target_key(*t) == value) {
                            target.set(t);
                        }
                    }
                >
                    {LoudnessTarget::ALL
                        .into_iter()
                        .map(|t| {
                            view! {
                                <option value=target_key(t) selected=move || target.get() == t>
                                    {target_label(t)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <p class="trim-note muted">
                "Two-pass EBU R128 normalisation into a new item; its page shows the loudness measured before and after."
            </p>
            {save_button("normalise-save", "Normalise", submit)}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_smaller_heights_are_offered() {
        assert_eq!(smaller_heights(Some(720)), vec![ExportHeight::P480]);
        assert_eq!(smaller_heights(Some(2160)).len(), 3);
        assert!(smaller_heights(Some(480)).is_empty());
        assert!(smaller_heights(None).is_empty());
    }

    #[test]
    fn choices_read_back() {
        for f in ExportFormat::AUDIO.into_iter().chain(ExportFormat::VIDEO) {
            assert_eq!(format_from(f.extension()), Some(f));
        }
        assert_eq!(height_from("720"), Some(ExportHeight::P720));
        assert_eq!(height_from(""), None);
        assert_eq!(
            target_label(LoudnessTarget::Podcast),
            "−16 LUFS (podcasts and speech)"
        );
    }
}
