//! `reel import PATH…`: a folder of media someone already has becomes items
//! of one user's library, the way uploads do (the same probe, the same
//! rows and processing jobs, the same refusal of what is not media), with
//! no browser in between. Each file is copied (or hard-linked) into the
//! store, probed, and recorded; a file already in that user's library is
//! not stored twice, which also makes a second run import only what is new.
//! Runs beside a running server (its workers pick the jobs up) or alone
//! (the jobs wait for the next start).

mod report;
mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures_util::StreamExt;

pub use report::Progress;
pub(crate) use report::Report;
pub(crate) use walk::{Found, walk};

use crate::accounts::{UserId, Visibility};
use crate::server::db::{DbError, Repo};
use crate::server::filename;
use crate::server::ingest::{Ingest, IngestError, Received};
use crate::server::store::{Store, StoreError, digest_file};

/// Files taken in at once: ffprobe's start-up and the disk's latency
/// overlap, while the copies stay few enough not to thrash one disk.
const AT_ONCE: usize = 4;

/// What became of one file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    Imported {
        bytes: u64,
        linked: bool,
    },
    /// Its bytes are already this item of the user's (or another file of
    /// this run's).
    AlreadyThere {
        id: String,
    },
    /// A dry run: it would be imported.
    WouldImport {
        bytes: u64,
    },
    /// Not imported, and why (for people): not media, unreadable, quota.
    Skipped(String),
    /// The machine's trouble (a full disk, a database gone): worth a rerun.
    Failed(String),
}

/// How an import runs.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) owner: UserId,
    pub(crate) visibility: Visibility,
    /// Hard-link instead of copying, where the store's disk allows it.
    pub(crate) link: bool,
    /// Decide and report only; store and record nothing.
    pub(crate) dry_run: bool,
    /// The owner's quota and what they use now.
    pub(crate) quota: Option<(u64, u64)>,
}

pub(crate) struct Importer {
    repo: Repo,
    store: Store,
    ingest: Ingest,
    settings: Settings,
    /// Bytes the owner holds, counting what this run imported.
    used: AtomicU64,
}

impl Importer {
    pub(crate) fn new(repo: Repo, store: Store, ingest: Ingest, settings: Settings) -> Self {
        let used = settings.quota.map_or(0, |(_, used)| used);
        Importer {
            repo,
            store,
            ingest,
            settings,
            used: AtomicU64::new(used),
        }
    }

    /// Imports every file `paths` hold; `progress` hears after each file.
    pub(crate) async fn run(
        self,
        paths: &[PathBuf],
        mut progress: impl FnMut(&Progress),
    ) -> Report {
        let started = Instant::now();
        let walked = walk(paths);
        let mut report = Report::new(&walked, self.settings.dry_run);
        let mut twins = twins(&walked.files).await;
        let this = Arc::new(self);
        let mut outcomes = futures_util::stream::iter(walked.files.into_iter().enumerate())
            .map(|(n, found)| {
                let this = Arc::clone(&this);
                let twin_of = twins.remove(&n);
                async move {
                    let outcome = match twin_of {
                        Some(first) => Outcome::AlreadyThere {
                            id: format!("the same bytes as {}", first.display()),
                        },
                        None => this.one(&found).await,
                    };
                    (found, outcome)
                }
            })
            .buffered(AT_ONCE);
        while let Some((found, outcome)) = outcomes.next().await {
            report.add(&found, outcome);
            progress(&report.progress(started.elapsed()));
        }
        this.store.leave_scratch();
        report.finish(started.elapsed());
        report
    }

    /// Takes one file in, or says why not.
    async fn one(&self, found: &Found) -> Outcome {
        match self.try_one(found).await {
            Ok(outcome) => outcome,
            Err(Trouble::Unreadable(why)) => Outcome::Skipped(why),
            Err(Trouble::Machine(why)) => Outcome::Failed(why),
        }
    }

    async fn try_one(&self, found: &Found) -> Result<Outcome, Trouble> {
        let path = found.path.as_path();
        let owner = &self.settings.owner;
        let size = std::fs::metadata(path)
            .map_err(|e| Trouble::Unreadable(walk::cannot("read", &e)))?
            .len();
        // Hash before copying only when a duplicate is possible: a second
        // run then reads each file once and writes nothing.
        if self.settings.dry_run || self.repo.owns_size(owner, size).await? {
            let (_, sha256) = digest_file(path).await.map_err(|e| trouble(path, e))?;
            if let Some(id) = self.repo.media_with_hash(owner, &sha256).await? {
                return Ok(Outcome::AlreadyThere { id: id.to_string() });
            }
        }
        if let Some((quota, _)) = self.settings.quota
            && self.used.load(Ordering::Relaxed).saturating_add(size) > quota
        {
            return Ok(Outcome::Skipped("over the user's storage quota".into()));
        }
        if self.settings.dry_run {
            return Ok(match self.ingest.probe_path(path).await {
                Ok(_) => Outcome::WouldImport { bytes: size },
                Err(IngestError::NotMedia(reason)) => Outcome::Skipped(reason.to_string()),
                Err(e) => Outcome::Failed(e.to_string()),
            });
        }
        let taken = self
            .store
            .take_in(path, self.settings.link)
            .await
            .map_err(|e| trouble(path, e))?;
        let received = Received {
            size: taken.size,
            sha256: taken.sha256,
            original_filename: filename::sanitize(
                &path.file_name().unwrap_or_default().to_string_lossy(),
            ),
            owner: Some(owner.clone()),
            visibility: self.settings.visibility,
            labels: found.labels.clone(),
        };
        if let Some(id) = self.ingest.already_in_library(&received).await? {
            return Ok(Outcome::AlreadyThere { id: id.to_string() });
        }
        let bytes = received.size;
        match self.ingest.admit_imported(taken.temp, received).await {
            Ok(_) => {
                self.used.fetch_add(bytes, Ordering::Relaxed);
                Ok(Outcome::Imported {
                    bytes,
                    linked: taken.linked,
                })
            }
            Err(IngestError::NotMedia(reason)) => Ok(Outcome::Skipped(reason.to_string())),
            Err(e) => Err(e.into()),
        }
    }
}

/// Files of the walk whose bytes an earlier file of the walk has, by index,
/// with that earlier file: they are not imported (files are taken in
/// several at once, so without this the copy could win over the first, or
/// both be stored). Only files that share their size with another are
/// read for it.
async fn twins(files: &[Found]) -> HashMap<usize, PathBuf> {
    let mut by_size: HashMap<u64, Vec<usize>> = HashMap::new();
    for (n, found) in files.iter().enumerate() {
        by_size.entry(found.size).or_default().push(n);
    }
    let mut twins = HashMap::new();
    for same_size in by_size.into_values().filter(|group| group.len() > 1) {
        let mut first_with: HashMap<String, usize> = HashMap::new();
        for n in same_size {
            // Unreadable now: the import proper says why.
            let Ok((_, sha256)) = digest_file(&files[n].path).await else {
                continue;
            };
            match first_with.get(&sha256) {
                Some(&first) => {
                    twins.insert(n, files[first].path.clone());
                }
                None => {
                    first_with.insert(sha256, n);
                }
            }
        }
    }
    twins
}

/// Why a file was not taken in: its own state, or the machine's.
enum Trouble {
    Unreadable(String),
    Machine(String),
}

/// A store error while taking `file` in: `file` itself failing to read is
/// the file's trouble (skipped); anything else (a full disk) the machine's.
fn trouble(file: &Path, e: StoreError) -> Trouble {
    match e {
        StoreError::Io { path, source } if path == file => {
            Trouble::Unreadable(walk::cannot("read", &source))
        }
        other => Trouble::Machine(other.to_string()),
    }
}

impl From<DbError> for Trouble {
    fn from(e: DbError) -> Self {
        Trouble::Machine(e.to_string())
    }
}

impl From<IngestError> for Trouble {
    fn from(e: IngestError) -> Self {
        Trouble::Machine(e.to_string())
    }
}
