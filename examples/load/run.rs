//! What every worker shares: the signed-in client, the clock, the media
//! still to upload, and the pool of stored files the readers pick from.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use bytes::Bytes;

use crate::client::Reel;
use crate::media::Media;
use crate::stats::{Kind, Recorder};

/// Stored files the readers pick from, at most. Later uploads replace
/// random earlier ones (never the seeds), so the memory held for checking
/// answers stays bounded however long the run.
const POOL_CAPACITY: usize = 256;

/// A stored file whose bytes are known: every answer about it is checked
/// against `bytes`.
pub(crate) struct Stored {
    pub(crate) id: String,
    /// The word only this file's name holds (a search for it finds only it).
    pub(crate) word: String,
    /// The original's address (`/files/{id}/original?sig=…`).
    pub(crate) url: String,
    pub(crate) bytes: Bytes,
}

pub(crate) struct Run {
    pub(crate) reel: Reel,
    /// Workers start no new operation after this.
    pub(crate) deadline: Instant,
    /// Files per upload client; `None`: until the deadline.
    uploads_each: Option<u64>,
    pool: RwLock<Vec<Arc<Stored>>>,
    seeds: usize,
    next_number: AtomicU64,
    /// MP4s made once, handed to the first uploads.
    clips: Mutex<Vec<Media>>,
    /// The SHA-256 of every file sent: they must all differ.
    sent: Mutex<HashSet<String>>,
    pub(crate) uploads_sent: AtomicU64,
    pub(crate) uploads_verified: AtomicU64,
    pub(crate) duplicates_sent: AtomicU64,
}

impl Run {
    /// `seeds` are the files in the pool from the start; uploads are
    /// numbered from `first_number` (below it, numbers are taken).
    pub(crate) fn new(
        reel: Reel,
        deadline: Instant,
        seeds: Vec<Stored>,
        clips: Vec<Media>,
        first_number: u64,
        uploads_each: Option<u64>,
    ) -> Self {
        let sent = clips.iter().map(|c| c.sha256.clone()).collect();
        Run {
            reel,
            deadline,
            uploads_each,
            seeds: seeds.len(),
            pool: RwLock::new(seeds.into_iter().map(Arc::new).collect()),
            next_number: AtomicU64::new(first_number),
            clips: Mutex::new(clips),
            sent: Mutex::new(sent),
            uploads_sent: AtomicU64::new(0),
            uploads_verified: AtomicU64::new(0),
            duplicates_sent: AtomicU64::new(0),
        }
    }

    pub(crate) fn running(&self) -> bool {
        Instant::now() < self.deadline
    }

    /// Whether an upload client that has sent `sent` files sends another.
    pub(crate) fn uploading(&self, sent: u64) -> bool {
        self.running() && self.uploads_each.is_none_or(|each| sent < each)
    }

    /// The next file to upload: a clip while any is left, else a new tone.
    pub(crate) fn next_media(&self) -> Media {
        self.uploads_sent.fetch_add(1, Ordering::Relaxed);
        if let Some(clip) = self.clips.lock().ok().and_then(|mut clips| clips.pop()) {
            return clip;
        }
        let media = Media::tone(self.next_number.fetch_add(1, Ordering::Relaxed));
        let fresh = self
            .sent
            .lock()
            .map(|mut sent| sent.insert(media.sha256.clone()))
            .unwrap_or(false);
        if !fresh {
            self.duplicates_sent.fetch_add(1, Ordering::Relaxed);
        }
        media
    }

    /// A stored file, picked with `dice`.
    pub(crate) fn pick(&self, dice: u64) -> Option<Arc<Stored>> {
        let pool = self.pool.read().ok()?;
        pool.get((dice % pool.len().max(1) as u64) as usize)
            .cloned()
    }

    fn add(&self, stored: Stored, dice: u64) {
        let Ok(mut pool) = self.pool.write() else {
            return;
        };
        if pool.len() < POOL_CAPACITY {
            pool.push(Arc::new(stored));
        } else {
            let replaceable = (POOL_CAPACITY - self.seeds) as u64;
            pool[self.seeds + (dice % replaceable) as usize] = Arc::new(stored);
        }
    }

    /// Fetches a finished upload's original through the byte route and
    /// checks it hashes as sent; then readers may pick it.
    pub(crate) async fn fetch_back(
        &self,
        rec: &mut Recorder,
        media: &Media,
        id: &str,
        url: &str,
        dice: u64,
    ) {
        let started = Instant::now();
        let outcome = self
            .reel
            .bytes(url, None)
            .await
            .and_then(|(status, headers, body)| {
                crate::verify::whole(&media.bytes, status, &headers, &body)?;
                let stored = reel::testing::media::sha256_hex(&body);
                if stored != media.sha256 {
                    return Err(format!(
                        "the stored original hashes {stored}, sent {}",
                        media.sha256
                    ));
                }
                // The ETag is the hash the server recorded for the item.
                let etag = headers
                    .get(reqwest::header::ETAG)
                    .and_then(|v| v.to_str().ok());
                if etag != Some(format!("\"{}\"", media.sha256).as_str()) {
                    return Err(format!("ETag {etag:?}, the file hashes {}", media.sha256));
                }
                Ok(())
            });
        let outcome = outcome.map_err(|e| format!("{} ({id}): {e}", media.name));
        if rec
            .note(Kind::FetchBack, started.elapsed(), outcome)
            .is_some()
        {
            self.uploads_verified.fetch_add(1, Ordering::Relaxed);
            let stored = Stored {
                id: id.to_string(),
                word: media.word.clone(),
                url: url.to_string(),
                bytes: media.bytes.clone(),
            };
            self.add(stored, dice);
        }
    }
}
