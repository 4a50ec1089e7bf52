//! Counters operators read at `/metrics` (Prometheus text format): requests
//! and bytes by the path that answered them, and what the layers below
//! count themselves (uploads stored, jobs ended). Plain atomics, cheap
//! enough for the hottest path.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::server::service::Counters;

/// Which way an answer went out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Via {
    /// The direct byte path (`sendfile`, `http::direct`).
    Direct,
    /// hyper and the router.
    Router,
}

impl Via {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Via::Direct => "direct",
            Via::Router => "router",
        }
    }
}

#[derive(Debug, Default)]
struct PathCounters {
    answers: AtomicU64,
    bytes: AtomicU64,
    /// Answers with a 5xx status.
    errors: AtomicU64,
}

/// The wire's counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    direct: PathCounters,
    router: PathCounters,
    /// Connections dropped because the client stopped reading.
    stalled: AtomicU64,
}

impl Metrics {
    fn path(&self, via: Via) -> &PathCounters {
        match via {
            Via::Direct => &self.direct,
            Via::Router => &self.router,
        }
    }

    /// Counts one answer of `status` with a body of `bytes`.
    pub(crate) fn answered(&self, via: Via, status: u16, bytes: u64) {
        let path = self.path(via);
        path.answers.fetch_add(1, Ordering::Relaxed);
        path.bytes.fetch_add(bytes, Ordering::Relaxed);
        if status >= 500 {
            path.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a connection dropped after `--send-timeout` without progress.
    pub(crate) fn client_stalled(&self) {
        self.stalled.fetch_add(1, Ordering::Relaxed);
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn answers(&self, via: Via) -> u64 {
        self.path(via).answers.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every counter.
    pub(crate) fn render(&self, below: &Counters) -> String {
        let mut out = String::new();
        let mut family = |name: &str, help: &str, kind: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let by_path = |read: fn(&PathCounters) -> u64| {
            [Via::Direct, Via::Router].map(|via| {
                let labels = match via {
                    Via::Direct => "{path=\"direct\"}",
                    Via::Router => "{path=\"router\"}",
                };
                (labels, read(self.path(via)))
            })
        };
        family(
            "reel_http_responses_total",
            "HTTP answers, by the path that sent them.",
            "counter",
            &by_path(|c| c.answers.load(Ordering::Relaxed)),
        );
        family(
            "reel_http_response_body_bytes_total",
            "Bytes of HTTP answer bodies, by the path that sent them.",
            "counter",
            &by_path(|c| c.bytes.load(Ordering::Relaxed)),
        );
        family(
            "reel_http_server_errors_total",
            "HTTP answers with a 5xx status, by path.",
            "counter",
            &by_path(|c| c.errors.load(Ordering::Relaxed)),
        );
        family(
            "reel_http_stalled_clients_dropped_total",
            "Connections dropped because the client took no bytes for --send-timeout.",
            "counter",
            &[("", self.stalled.load(Ordering::Relaxed))],
        );
        family(
            "reel_uploads_stored_total",
            "Uploads stored as library items (both upload routes).",
            "counter",
            &[("", below.uploads_stored)],
        );
        family(
            "reel_jobs_finished_total",
            "Processing runs that ended, by outcome.",
            "counter",
            &[
                ("{outcome=\"done\"}", below.jobs.done),
                ("{outcome=\"failed\"}", below.jobs.failed),
                ("{outcome=\"retrying\"}", below.jobs.retried),
                ("{outcome=\"cancelled\"}", below.jobs.cancelled),
            ],
        );
        family(
            "reel_jobs_active",
            "Processing jobs queued or running now.",
            "gauge",
            &[("", below.jobs_active)],
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_as_prometheus_text() {
        let metrics = Metrics::default();
        metrics.answered(Via::Direct, 206, 65536);
        metrics.answered(Via::Direct, 200, 10);
        metrics.answered(Via::Router, 503, 20);
        let below = Counters {
            uploads_stored: 3,
            jobs: crate::server::service::JobCounts {
                done: 4,
                failed: 1,
                retried: 0,
                cancelled: 2,
            },
            jobs_active: 5,
        };
        let text = metrics.render(&below);
        for line in [
            "# TYPE reel_http_responses_total counter",
            "reel_http_responses_total{path=\"direct\"} 2",
            "reel_http_responses_total{path=\"router\"} 1",
            "reel_http_response_body_bytes_total{path=\"direct\"} 65546",
            "reel_http_server_errors_total{path=\"router\"} 1",
            "reel_uploads_stored_total 3",
            "reel_jobs_finished_total{outcome=\"cancelled\"} 2",
            "reel_jobs_active 5",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
