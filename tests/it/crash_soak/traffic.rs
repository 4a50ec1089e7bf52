//! The work a crash interrupts: uploads through both routes (some cut in
//! the middle of their body), edits, renames, deletes and retries, each in a
//! loop until the server dies under it. What the server answered is written
//! in the ledger, which the invariant checker holds it to.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use reel::model::UploadResponse;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use reel::testing::media::{Dice, SINE_WAV_RATE, own_bytes, sine_wav};

use crate::common::tus::{OFFSET_OCTET_STREAM, TUS_RESUMABLE, b64, header, upload_id};

/// What the server answered, across every crash.
#[derive(Default)]
pub(super) struct Ledger {
    /// SHA-256 of every whole body sent: an uploaded item hashes as one.
    pub sent: HashSet<String>,
    /// Items the server answered as stored, with their SHA-256.
    pub stored: HashMap<String, String>,
    /// tus uploads whose last bytes the server acknowledged, with the
    /// SHA-256 of the whole file: each must become an item.
    pub tus_complete: HashMap<String, String>,
    /// Items whose deletion the server acknowledged.
    pub deleted: HashSet<String>,
    /// Items a deletion was sent for, answered or not: a crash between the
    /// deletion and its answer leaves it gone without a word.
    pub delete_sent: HashSet<String>,
}

impl Ledger {
    fn live_items(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .stored
            .keys()
            .filter(|id| !self.deleted.contains(*id))
            .cloned()
            .collect();
        ids.sort();
        ids
    }
}

pub(super) fn seed_from_clock() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map_or(1, |d| d.as_nanos() as u64)
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The media the traffic sends: fresh WAVs, and one video made once.
pub(super) struct Traffic {
    video: Arc<Vec<u8>>,
}

impl Traffic {
    pub(super) fn new(dir: &Path) -> Self {
        let video = std::fs::read(crate::common::video_mp4(dir, 2)).expect("read");
        Traffic {
            video: Arc::new(video),
        }
    }

    /// Starts the workers; they run until the server dies under them.
    pub(super) fn start(
        &self,
        client: &reqwest::Client,
        origin: &str,
        ledger: &Arc<Mutex<Ledger>>,
        seed: u64,
    ) -> Vec<JoinHandle<()>> {
        (0..3u64)
            .map(|role| {
                let worker = Worker {
                    client: client.clone(),
                    origin: origin.to_string(),
                    ledger: Arc::clone(ledger),
                    video: Arc::clone(&self.video),
                    rng: Dice::seeded(seed ^ (role + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                };
                tokio::spawn(async move {
                    // A request error means the server is gone: the run ends.
                    let _ = match role {
                        0 => worker.multipart_uploads().await,
                        1 => worker.tus_uploads().await,
                        _ => worker.changes().await,
                    };
                })
            })
            .collect()
    }
}

struct Worker {
    client: reqwest::Client,
    origin: String,
    ledger: Arc<Mutex<Ledger>>,
    video: Arc<Vec<u8>>,
    rng: Dice,
}

type Gone = reqwest::Error;

impl Worker {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().expect("ledger")
    }

    /// A new file to send (one in five the video), recorded as sent.
    fn next_file(&mut self) -> (String, Vec<u8>) {
        let (name, bytes) = if self.rng.below(5) == 0 {
            ("clip.mp4".to_string(), self.video.as_ref().clone())
        } else {
            let frequency = 200 + self.rng.below(4000);
            let samples = SINE_WAV_RATE / 2 + self.rng.below(3 * u64::from(SINE_WAV_RATE)) as u32;
            let bytes = sine_wav(frequency as f64, samples);
            (format!("tone {frequency}.wav"), bytes)
        };
        // Bytes of its own: the same bytes again would be the same item.
        let bytes = own_bytes(bytes);
        self.ledger().sent.insert(sha256_hex(&bytes));
        (name, bytes)
    }

    async fn multipart_uploads(mut self) -> Result<(), Gone> {
        loop {
            let (name, bytes) = self.next_file();
            let sha = sha256_hex(&bytes);
            let cut = self.rng.below(4) == 0;
            let part = if cut {
                // Half the body, then the connection breaks.
                let half = bytes[..bytes.len() / 2].to_vec();
                let broken = std::io::Error::other("cut");
                let body = futures_util::stream::iter([Ok(half), Err(broken)]);
                reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(body))
            } else {
                reqwest::multipart::Part::bytes(bytes)
            };
            let form = reqwest::multipart::Form::new().part("file", part.file_name(name));
            let sent = self
                .client
                .post(self.url("/api/uploads"))
                .multipart(form)
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status() == StatusCode::CREATED => {
                    assert!(!cut, "a cut upload was answered as stored");
                    let created: UploadResponse = answer.json().await?;
                    self.ledger().stored.insert(created.id.to_string(), sha);
                }
                Ok(answer) => panic!("an upload was refused: {}", answer.status()),
                Err(_) if cut => {}
                Err(gone) => return Err(gone),
            }
        }
    }

    async fn tus_uploads(mut self) -> Result<(), Gone> {
        loop {
            let (name, bytes) = self.next_file();
            let created = self
                .client
                .post(self.url("/api/tus"))
                .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
                .header("Upload-Length", bytes.len().to_string())
                .header("Upload-Metadata", format!("filename {}", b64(&name)))
                .send()
                .await?;
            assert_eq!(created.status(), StatusCode::CREATED);
            let location = header(&created, "location").to_string();
            let half = bytes.len() / 2;
            let pieces = [(0, &bytes[..half]), (half, &bytes[half..])];
            // One in four is left half sent, as a closed laptop leaves it.
            let count = if self.rng.below(4) == 0 { 1 } else { 2 };
            for (offset, piece) in &pieces[..count] {
                let answer = self
                    .client
                    .patch(self.url(&location))
                    .header(TUS_RESUMABLE.0, TUS_RESUMABLE.1)
                    .header("Upload-Offset", offset.to_string())
                    .header("Content-Type", OFFSET_OCTET_STREAM)
                    .body(piece.to_vec())
                    .send()
                    .await?;
                assert_eq!(answer.status(), StatusCode::NO_CONTENT);
            }
            if count == 2 {
                let id = upload_id(&location).to_string();
                self.ledger().tus_complete.insert(id, sha256_hex(&bytes));
            }
        }
    }

    /// Renames, edits, retries and deletes of items already stored.
    async fn changes(mut self) -> Result<(), Gone> {
        loop {
            let items = self.ledger().live_items();
            if items.is_empty() {
                // Nothing to change yet: a cheap request instead of a spin.
                self.client.get(self.url("/healthz")).send().await?;
                continue;
            }
            let id = items[self.rng.below(items.len() as u64) as usize].clone();
            let answer = match self.rng.below(8) {
                0 => self.call("delete_media", &[("id", &id)]).await?,
                1..=3 => {
                    let title = format!("renamed {}", self.rng.below(1000));
                    let form = [("id", id.as_str()), ("title", &title), ("description", "")];
                    self.call("update_media", &form).await?
                }
                4..=5 => {
                    let request = serde_json::json!({
                        "id": id,
                        "request": {"edit": "trim", "start_secs": 0.1, "end_secs": 0.4, "mode": "exact"},
                    });
                    let url = self.url("/api/start_edit");
                    self.client.post(url).json(&request).send().await?.status()
                }
                _ => self.call("retry_processing", &[("id", &id)]).await?,
            };
            if answer.is_server_error() {
                panic!("a change to {id} answered {answer}");
            }
        }
    }

    async fn call(&mut self, function: &str, form: &[(&str, &str)]) -> Result<StatusCode, Gone> {
        if function == "delete_media" {
            self.ledger().delete_sent.insert(form[0].1.to_string());
        }
        let url = self.url(&format!("/api/{function}"));
        let status = self.client.post(url).form(form).send().await?.status();
        // A deletion is only certain once answered.
        if function == "delete_media" && status == StatusCode::OK {
            self.ledger().deleted.insert(form[0].1.to_string());
        }
        Ok(status)
    }
}
