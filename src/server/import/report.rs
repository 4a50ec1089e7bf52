//! What an import tells the operator: a progress line after each file
//! (files, bytes, rate, time left) and, at the end, a summary with every
//! file that was not imported and why.

use std::path::PathBuf;
use std::time::Duration;

use super::Outcome;
use super::walk::{Found, Walked};
use crate::format;

/// Where a run stands.
#[derive(Clone, Debug)]
pub struct Progress {
    pub files_done: usize,
    pub files: usize,
    pub bytes_done: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

impl Progress {
    /// `[12/1000] 1.2 MB of 10 GB · 85 MB/s · 1:02 left`
    pub fn line(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.bytes_done as f64 / secs
        } else {
            0.0
        };
        let left = (rate > 0.0)
            .then(|| self.bytes.saturating_sub(self.bytes_done) as f64 / rate)
            .map(|s| format!(" · {} left", format::duration(s)))
            .unwrap_or_default();
        format!(
            "[{}/{}] {} of {} · {}{left}",
            self.files_done,
            self.files,
            format::bytes(self.bytes_done),
            format::bytes(self.bytes),
            format::speed(rate),
        )
    }
}

/// The run's tally.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) dry_run: bool,
    pub(crate) files: usize,
    pub(crate) bytes: u64,
    pub(crate) files_done: usize,
    pub(crate) bytes_done: u64,
    pub(crate) imported: usize,
    pub(crate) imported_bytes: u64,
    pub(crate) linked: usize,
    pub(crate) already: usize,
    pub(crate) skipped: Vec<(PathBuf, String)>,
    pub(crate) failed: Vec<(PathBuf, String)>,
    pub(crate) hidden: u64,
    pub(crate) elapsed: Duration,
}

impl Report {
    pub(crate) fn new(walked: &Walked, dry_run: bool) -> Self {
        Report {
            dry_run,
            files: walked.files.len(),
            bytes: walked.total_bytes(),
            skipped: walked.skipped.clone(),
            hidden: walked.hidden,
            ..Report::default()
        }
    }

    pub(crate) fn add(&mut self, found: &Found, outcome: Outcome) {
        self.files_done += 1;
        self.bytes_done += found.size;
        match outcome {
            Outcome::Imported { bytes, linked } => {
                self.imported += 1;
                self.imported_bytes += bytes;
                self.linked += usize::from(linked);
            }
            Outcome::WouldImport { bytes } => {
                self.imported += 1;
                self.imported_bytes += bytes;
            }
            Outcome::AlreadyThere { .. } => self.already += 1,
            Outcome::Skipped(why) => self.skipped.push((found.path.clone(), why)),
            Outcome::Failed(why) => self.failed.push((found.path.clone(), why)),
        }
    }

    pub(crate) fn progress(&self, elapsed: Duration) -> Progress {
        Progress {
            files_done: self.files_done,
            files: self.files,
            bytes_done: self.bytes_done,
            bytes: self.bytes,
            elapsed,
        }
    }

    pub(crate) fn finish(&mut self, elapsed: Duration) {
        self.elapsed = elapsed;
    }

    /// Whether every file was dealt with (imported, already there or
    /// skipped for a reason of its own): a failure asks for a rerun.
    pub(crate) fn succeeded(&self) -> bool {
        self.failed.is_empty()
    }

    /// The summary, then one line per file not imported.
    pub(crate) fn summary(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-3);
        let verb = if self.dry_run {
            "would import"
        } else {
            "imported"
        };
        let linked = if self.linked > 0 {
            format!(" ({} hard-linked)", self.linked)
        } else {
            String::new()
        };
        let mut lines = vec![format!(
            "{verb} {} files, {}{linked}, in {:.1} s ({:.1} files/s, {}); {} already in the library; \
             {} skipped; {} failed",
            self.imported,
            format::bytes(self.imported_bytes),
            secs,
            self.files_done as f64 / secs,
            format::speed(self.bytes_done as f64 / secs),
            self.already,
            self.skipped.len(),
            self.failed.len(),
        )];
        if self.hidden > 0 {
            lines.push(format!("{} hidden files and folders left out", self.hidden));
        }
        for (path, why) in &self.skipped {
            lines.push(format!("skipped {}: {why}", path.display()));
        }
        for (path, why) in &self.failed {
            lines.push(format!(
                "failed {}: {why} (run the import again)",
                path.display()
            ));
        }
        lines.join("\n")
    }
}
