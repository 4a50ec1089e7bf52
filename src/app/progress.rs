//! An item's processing as people see it: while it runs, a progress bar with
//! the stage, the time left and a Cancel button; when it failed, the reason
//! and a Retry button. The library cards and the media page both use it.

use leptos::prelude::*;

use super::live::{Status, percent};
use crate::model::{MediaState, Progress};

/// "about 12 s left", "about 3 min left".
pub(crate) fn eta_text(secs: f64) -> Option<String> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    let secs = secs.ceil() as u64;
    Some(match secs {
        0..=1 => "almost done".to_string(),
        2..=59 => format!("about {secs} s left"),
        _ => format!("about {} min left", secs.div_ceil(60)),
    })
}

/// What the stage line says.
pub(crate) fn stage_text(progress: Option<&Progress>) -> String {
    match progress {
        None => "Waiting to start".to_string(),
        Some(p) if p.retrying => format!("{}: trying again soon", p.stage.label()),
        Some(p) => p.stage.label().to_string(),
    }
}

#[component]
pub(crate) fn ProcessingStatus(
    id: String,
    status: Memo<Status>,
    /// Called after Cancel or Retry went through (fetch the item again).
    on_changed: Callback<()>,
    /// A `data-testid` for the whole block.
    #[prop(optional)]
    testid: Option<&'static str>,
    /// Whether the asker may cancel or retry (else only the state shows).
    #[prop(default = true)]
    can_change: bool,
) -> impl IntoView {
    let state = Memo::new(move |_| status.with(|s| s.state.name()));
    let value =
        Memo::new(move |_| status.with(|s| s.progress.as_ref().map_or(0, |p| percent(p.fraction))));
    let stage = Memo::new(move |_| status.with(|s| stage_text(s.progress.as_ref())));
    let eta = Memo::new(move |_| {
        status.with(|s| {
            s.progress
                .as_ref()
                .and_then(|p| p.eta_secs)
                .and_then(eta_text)
        })
    });
    let reason = Memo::new(move |_| match &status.read().state {
        MediaState::Failed(reason) => reason.clone(),
        _ => String::new(),
    });
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let id = StoredValue::new(id);

    // Cancel (true) or retry (false); browser only.
    let act = move |cancel: bool| {
        #[cfg(feature = "hydrate")]
        {
            if pending.get_untracked() {
                return;
            }
            pending.set(true);
            error.set(None);
            let id = id.get_value();
            leptos::task::spawn_local(async move {
                let result = if cancel {
                    crate::api::cancel_processing(id).await
                } else {
                    crate::api::retry_processing(id).await
                };
                let _ = pending.try_set(false);
                match result {
                    Ok(()) => {
                        let _ = on_changed.try_run(());
                    }
                    Err(e) => {
                        let _ = error.try_set(Some(e.message));
                        let _ = on_changed.try_run(());
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (cancel, id, on_changed);
    };

    let running = move || {
        view! {
            <div class="processing-head">
                <span class="stage" data-testid="processing-stage">{move || stage.get()}</span>
                <span class="eta" data-testid="processing-eta">{move || eta.get()}</span>
                {can_change.then(|| view! {
                    <button
                        type="button"
                        class="row-button"
                        data-testid="cancel-processing"
                        disabled=move || pending.get()
                        on:click=move |_| act(true)
                    >
                        "Cancel"
                    </button>
                })}
            </div>
            <div
                class="meter"
                role="progressbar"
                data-testid="processing-progress"
                aria-label="Processing"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=move || value.get()
                aria-valuetext=move || format!("{} %, {}", value.get(), stage.get())
                data-percent=move || value.get()
            >
                <div class="meter-fill" style:width=move || format!("{}%", value.get())></div>
            </div>
        }
    };
    let failed = move || {
        view! {
            <div class="processing-head" role="alert">
                <span class="reason" data-testid="failure-reason">{move || reason.get()}</span>
                {can_change.then(|| view! {
                    <button
                        type="button"
                        class="row-button"
                        data-testid="retry-processing"
                        disabled=move || pending.get()
                        on:click=move |_| act(false)
                    >
                        "Retry"
                    </button>
                })}
            </div>
        }
    };

    view! {
        <div class="status" data-state=move || state.get() data-testid=testid>
            {move || match state.get() {
                "processing" => running().into_any(),
                "failed" => failed().into_any(),
                _ => ().into_any(),
            }}
            {move || error.get().map(|e| view! { <p class="status-error">{e}</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JobKind;

    #[test]
    fn time_left_reads_naturally() {
        assert_eq!(eta_text(0.4).as_deref(), Some("almost done"));
        assert_eq!(eta_text(11.2).as_deref(), Some("about 12 s left"));
        assert_eq!(eta_text(61.0).as_deref(), Some("about 2 min left"));
        assert_eq!(eta_text(f64::INFINITY), None);
        assert_eq!(eta_text(-3.0), None);
    }

    #[test]
    fn stage_says_what_runs() {
        assert_eq!(stage_text(None), "Waiting to start");
        let mut p = Progress {
            stage: JobKind::Playable,
            fraction: 0.5,
            eta_secs: None,
            retrying: false,
        };
        assert_eq!(stage_text(Some(&p)), "Converting for browsers");
        p.retrying = true;
        assert_eq!(
            stage_text(Some(&p)),
            "Converting for browsers: trying again soon"
        );
    }
}
