//! What the load saw: the latency of every request by kind, and every
//! failure with what went wrong. Each worker keeps its own `Recorder`; they
//! are merged once the run is over.

use std::collections::BTreeMap;
use std::time::Duration;

/// Requests slower than this fail the run.
pub(crate) const SLOW: Duration = Duration::from_secs(10);

/// Failures kept word for word per kind (all are counted).
const KEPT_MESSAGES: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// `POST /api/uploads`, the whole file in one multipart body.
    Multipart,
    /// `POST /api/tus`: creating an upload.
    TusCreate,
    /// `PATCH /api/tus/{id}`: one chunk.
    TusPatch,
    /// `POST /api/upload_status` while the server finalises.
    TusStatus,
    /// From the last PATCH's answer to the upload being an item (not one
    /// request: the wait the browser sees, polling as it does).
    TusFinalised,
    /// `POST /api/media`: a tus upload's item, for its byte address.
    ItemLookup,
    /// `GET` of a just-uploaded original, hashed against what was sent.
    FetchBack,
    /// `GET` of a whole stored file.
    Stream,
    /// `GET` with `Range` (one range, or two as multipart/byteranges).
    Range,
    /// Server-rendered pages: the library (searched, sorted) and an item's page.
    Page,
    /// `POST /api/list_library`: the search the library page runs.
    Search,
    /// `GET /api/events` until the answer's headers.
    EventsOpen,
}

impl Kind {
    pub(crate) const ALL: [Kind; 12] = [
        Kind::Multipart,
        Kind::TusCreate,
        Kind::TusPatch,
        Kind::TusStatus,
        Kind::TusFinalised,
        Kind::ItemLookup,
        Kind::FetchBack,
        Kind::Stream,
        Kind::Range,
        Kind::Page,
        Kind::Search,
        Kind::EventsOpen,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Multipart => "upload-multipart",
            Kind::TusCreate => "tus-create",
            Kind::TusPatch => "tus-patch",
            Kind::TusStatus => "tus-status",
            Kind::TusFinalised => "tus-finalised*",
            Kind::ItemLookup => "item-lookup",
            Kind::FetchBack => "fetch-back",
            Kind::Stream => "stream-full",
            Kind::Range => "stream-range",
            Kind::Page => "page-render",
            Kind::Search => "search",
            Kind::EventsOpen => "events-open",
        }
    }

    /// Whether the kind is one request (the 10 s bound applies to those).
    pub(crate) fn is_request(self) -> bool {
        self != Kind::TusFinalised
    }
}

#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    failures: u64,
    messages: Vec<String>,
}

#[derive(Default)]
pub(crate) struct Recorder {
    by_kind: BTreeMap<Kind, Samples>,
}

impl Recorder {
    pub(crate) fn ok(&mut self, kind: Kind, took: Duration) {
        self.by_kind.entry(kind).or_default().latencies.push(took);
    }

    /// A failed request (or a wrong answer to one); it still took `took`.
    pub(crate) fn failed(&mut self, kind: Kind, took: Duration, message: String) {
        let samples = self.by_kind.entry(kind).or_default();
        samples.latencies.push(took);
        samples.failures += 1;
        if samples.messages.len() < KEPT_MESSAGES {
            samples.messages.push(message);
        }
    }

    /// Records how `outcome` went; its value when it succeeded.
    pub(crate) fn note<T>(
        &mut self,
        kind: Kind,
        took: Duration,
        outcome: Result<T, String>,
    ) -> Option<T> {
        match outcome {
            Ok(value) => {
                self.ok(kind, took);
                Some(value)
            }
            Err(message) => {
                self.failed(kind, took, message);
                None
            }
        }
    }

    pub(crate) fn merge(&mut self, other: Recorder) {
        for (kind, theirs) in other.by_kind {
            let ours = self.by_kind.entry(kind).or_default();
            ours.latencies.extend(theirs.latencies);
            ours.failures += theirs.failures;
            for message in theirs.messages {
                if ours.messages.len() < KEPT_MESSAGES {
                    ours.messages.push(message);
                }
            }
        }
    }

    /// One summary per kind that saw any traffic, in `Kind::ALL` order.
    pub(crate) fn summaries(&mut self) -> Vec<Summary> {
        Kind::ALL
            .into_iter()
            .filter_map(|kind| {
                let samples = self.by_kind.get_mut(&kind)?;
                samples.latencies.sort_unstable();
                let at = |q: f64| {
                    let last = samples.latencies.len().saturating_sub(1);
                    samples.latencies[((last as f64) * q).round() as usize]
                };
                Some(Summary {
                    kind,
                    count: samples.latencies.len() as u64,
                    failures: samples.failures,
                    slow: samples.latencies.iter().filter(|t| **t > SLOW).count() as u64,
                    p50: at(0.50),
                    p99: at(0.99),
                    max: at(1.0),
                    messages: samples.messages.clone(),
                })
            })
            .collect()
    }
}

pub(crate) struct Summary {
    pub(crate) kind: Kind,
    pub(crate) count: u64,
    pub(crate) failures: u64,
    /// Slower than `SLOW`.
    pub(crate) slow: u64,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
    pub(crate) messages: Vec<String>,
}

pub(crate) fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// The plain-text table: one line per kind.
pub(crate) fn table(summaries: &[Summary]) -> String {
    let mut out = format!(
        "{:<17} {:>8} {:>6} {:>6} {:>10} {:>10} {:>10}\n",
        "kind", "count", "errors", ">10s", "p50 ms", "p99 ms", "max ms"
    );
    for s in summaries {
        out.push_str(&format!(
            "{:<17} {:>8} {:>6} {:>6} {:>10.1} {:>10.1} {:>10.1}\n",
            s.kind.name(),
            s.count,
            s.failures,
            s.slow,
            millis(s.p50),
            millis(s.p99),
            millis(s.max)
        ));
    }
    out.push_str("(* a wait over several requests, not one request: not held to the 10 s bound)\n");
    out
}
