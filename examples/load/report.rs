//! The run's results: the table (or JSON), the server's memory and CPU,
//! and the checks, each passed or failed with what failed.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::Plan;
use crate::readers::Heard;
use crate::run::Run;
use crate::server::{LogTally, Memory};
use crate::stats::{SLOW, Summary, millis, table};

/// CPU used during the run by the server and by this tool, as shares of
/// one core (1.0 = one core busy all the time; the machine's cores bound
/// the sum). A tool near a whole core per runtime thread is the bottleneck.
pub(crate) struct Cpu {
    pub(crate) server: Option<f64>,
    /// ffmpeg and ffprobe runs the server started and finished meanwhile.
    pub(crate) server_children: Option<f64>,
    pub(crate) client: Option<f64>,
}

/// CPU times read at one moment: the server's, its finished children's, and this tool's.
pub(crate) type CpuTimes = [Option<Duration>; 3];

impl Cpu {
    pub(crate) fn between(before: CpuTimes, after: CpuTimes, elapsed: Duration) -> Self {
        let share = |i: usize| {
            Some(after[i]?.saturating_sub(before[i]?).as_secs_f64() / elapsed.as_secs_f64())
        };
        Cpu {
            server: share(0),
            server_children: share(1),
            client: share(2),
        }
    }
}

pub(crate) struct Outcome<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) elapsed: Duration,
    pub(crate) summaries: Vec<Summary>,
    pub(crate) run: &'a Run,
    pub(crate) heard: Vec<Heard>,
    /// When the server was sent SIGTERM (event streams may end after it).
    pub(crate) told_to_stop: Instant,
    pub(crate) memory_before: Memory,
    pub(crate) memory_after: Memory,
    pub(crate) cpu: Cpu,
    pub(crate) log: &'a LogTally,
    pub(crate) stopped_cleanly: Result<(), String>,
}

struct Check {
    name: &'static str,
    passed: bool,
    detail: String,
}

fn mib(kib: u64) -> f64 {
    (kib as f64 / 1024.0 * 10.0).round() / 10.0
}

impl Outcome<'_> {
    fn checks(&self) -> Vec<Check> {
        let failures: u64 = self.summaries.iter().map(|s| s.failures).sum();
        let slow: Vec<String> = self
            .summaries
            .iter()
            .filter(|s| s.kind.is_request() && s.slow > 0)
            .map(|s| format!("{} {} (max {} ms)", s.slow, s.kind.name(), millis(s.max)))
            .collect();
        let sent = self.run.uploads_sent.load(Ordering::Relaxed);
        let verified = self.run.uploads_verified.load(Ordering::Relaxed);
        let duplicates = self.run.duplicates_sent.load(Ordering::Relaxed);
        let early: Vec<&str> = self
            .heard
            .iter()
            .filter_map(|h| h.ended.as_ref())
            .filter(|(when, _)| *when < self.told_to_stop)
            .map(|(_, why)| why.as_str())
            .collect();
        let open_at_stop = self.heard.len() - early.len();
        let anything_heard = self.heard.iter().any(|h| h.media_events + h.resyncs > 0);
        let deaf = self
            .heard
            .iter()
            .filter(|h| h.media_events + h.resyncs == 0)
            .count();
        let peak_mib = mib(self.memory_after.peak_kib);
        let kinds_missing: Vec<&str> = [
            (self.plan.multipart, crate::stats::Kind::Multipart),
            (self.plan.tus, crate::stats::Kind::TusPatch),
            (self.plan.streams, crate::stats::Kind::Stream),
            (self.plan.ranges, crate::stats::Kind::Range),
            (self.plan.pages, crate::stats::Kind::Page),
            (self.plan.pages, crate::stats::Kind::Search),
            (self.plan.events, crate::stats::Kind::EventsOpen),
        ]
        .into_iter()
        .filter(|(clients, kind)| *clients > 0 && !self.summaries.iter().any(|s| s.kind == *kind))
        .map(|(_, kind)| kind.name())
        .collect();
        vec![
            Check {
                name: "no request failed or answered wrongly",
                passed: failures == 0,
                detail: format!("{failures} failed"),
            },
            Check {
                name: "no request took over 10 s",
                passed: slow.is_empty(),
                detail: if slow.is_empty() {
                    format!("none over {SLOW:?}")
                } else {
                    slow.join(", ")
                },
            },
            Check {
                name: "every upload is its item, hashing as sent",
                passed: sent == verified && duplicates == 0,
                detail: format!(
                    "{verified} of {sent} uploads checked, {duplicates} files sent twice"
                ),
            },
            Check {
                name: "every event stream stayed open until SIGTERM and heard events",
                passed: early.is_empty() && (deaf == 0 || !anything_heard),
                detail: format!(
                    "{open_at_stop} open at SIGTERM, {} ended before {early:?}, {deaf} heard nothing",
                    early.len()
                ),
            },
            Check {
                name: "every kind of request ran",
                passed: kinds_missing.is_empty(),
                detail: format!("missing: {kinds_missing:?}"),
            },
            Check {
                name: "server peak RSS under the bound",
                passed: peak_mib < self.plan.max_rss_mib as f64,
                detail: format!("VmHWM {peak_mib} MiB, bound {} MiB", self.plan.max_rss_mib),
            },
            Check {
                name: "server stopped cleanly on SIGTERM, event streams open",
                passed: self.stopped_cleanly.is_ok(),
                detail: self
                    .stopped_cleanly
                    .clone()
                    .err()
                    .unwrap_or_else(|| "exit 0".into()),
            },
        ]
    }

    /// Prints the results; whether every check passed.
    pub(crate) fn print(&self, as_json: bool) -> bool {
        let checks = self.checks();
        let passed = checks.iter().all(|c| c.passed);
        if as_json {
            println!("{:#}", self.json(&checks, passed));
        } else {
            print!("{}", self.text(&checks, passed));
        }
        passed
    }

    fn text(&self, checks: &[Check], passed: bool) -> String {
        let p = self.plan;
        let run = self.run;
        let mut out = format!(
            "\nReel load: {} multipart + {} tus uploaders, {} streams, {} range readers, {} page/search clients, {} event streams; {:.1} s\n\n",
            p.multipart,
            p.tus,
            p.streams,
            p.ranges,
            p.pages,
            p.events,
            self.elapsed.as_secs_f64()
        );
        out.push_str(&table(&self.summaries));
        let media: u64 = self.heard.iter().map(|h| h.media_events).sum();
        let resyncs: u64 = self.heard.iter().map(|h| h.resyncs).sum();
        out.push_str(&format!(
            "\nuploads: {} sent, {} stored and hashed as sent\nevent streams: {} held, {media} media events and {resyncs} resyncs heard in all\n",
            run.uploads_sent.load(Ordering::Relaxed),
            run.uploads_verified.load(Ordering::Relaxed),
            self.heard.len(),
        ));
        out.push_str(&format!(
            "server memory: RSS {} MiB before the load, {} MiB after; peak (VmHWM) {} MiB; bound {} MiB\n",
            mib(self.memory_before.rss_kib),
            mib(self.memory_after.rss_kib),
            mib(self.memory_after.peak_kib),
            p.max_rss_mib
        ));
        let share = |s: Option<f64>| s.map_or("?".to_string(), |s| format!("{s:.2}"));
        out.push_str(&format!(
            "cpu during the run (cores busy): server {}, its ffmpeg/ffprobe {}, load tool {}\n",
            share(self.cpu.server),
            share(self.cpu.server_children),
            share(self.cpu.client)
        ));
        out.push_str(&format!(
            "server log: {} warnings, {} errors\n",
            self.log.warnings.load(Ordering::Relaxed),
            self.log.errors.load(Ordering::Relaxed)
        ));
        if let Ok(kinds) = self.log.kinds.lock() {
            for (kind, (count, example)) in kinds.iter() {
                out.push_str(&format!("  {count:>6} × {kind}\n         e.g. {example}\n"));
            }
        }
        for s in self.summaries.iter().filter(|s| !s.messages.is_empty()) {
            out.push_str(&format!("{} failures, first few:\n", s.kind.name()));
            for m in &s.messages {
                out.push_str(&format!("  {m}\n"));
            }
        }
        out.push('\n');
        for c in checks {
            let mark = if c.passed { "PASS" } else { "FAIL" };
            out.push_str(&format!("{mark}  {}: {}\n", c.name, c.detail));
        }
        out.push_str(if passed {
            "\nload: all checks passed\n"
        } else {
            "\nload: FAILED\n"
        });
        out
    }

    fn json(&self, checks: &[Check], passed: bool) -> serde_json::Value {
        let p = self.plan;
        json!({
            "plan": {
                "multipart": p.multipart, "tus": p.tus, "streams": p.streams, "ranges": p.ranges,
                "pages": p.pages, "events": p.events, "seconds": p.run_for.as_secs(),
            },
            "elapsed_s": self.elapsed.as_secs_f64(),
            "kinds": self.summaries.iter().map(|s| json!({
                "kind": s.kind.name(), "count": s.count, "errors": s.failures, "over_10s": s.slow,
                "p50_ms": millis(s.p50), "p99_ms": millis(s.p99), "max_ms": millis(s.max),
                "first_errors": s.messages,
            })).collect::<Vec<_>>(),
            "uploads": {
                "sent": self.run.uploads_sent.load(Ordering::Relaxed),
                "verified": self.run.uploads_verified.load(Ordering::Relaxed),
            },
            "events": {
                "streams": self.heard.len(),
                "media_events": self.heard.iter().map(|h| h.media_events).sum::<u64>(),
                "resyncs": self.heard.iter().map(|h| h.resyncs).sum::<u64>(),
            },
            "server_memory_mib": {
                "rss_before": mib(self.memory_before.rss_kib),
                "rss_after": mib(self.memory_after.rss_kib),
                "peak": mib(self.memory_after.peak_kib),
                "bound": p.max_rss_mib,
            },
            "cpu_cores_busy": {
                "server": self.cpu.server,
                "server_children": self.cpu.server_children,
                "load_tool": self.cpu.client,
            },
            "server_log": {
                "warnings": self.log.warnings.load(Ordering::Relaxed),
                "errors": self.log.errors.load(Ordering::Relaxed),
            },
            "checks": checks.iter().map(|c| json!({"check": c.name, "passed": c.passed, "detail": c.detail})).collect::<Vec<_>>(),
            "passed": passed,
        })
    }
}
