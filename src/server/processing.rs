//! The processing queue: after an upload is stored and probed, a worker makes
//! its poster and marks it ready (or failed, with a reason people can read).
//! The queue's durable form is the `processing` state in the database: at
//! start-up every such item is queued again, so a restart loses no work.

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, watch};

use crate::model::MediaKind;
use crate::server::db::Repo;
use crate::server::media::poster::{PosterJob, PosterSource, frame_time};
use crate::server::media::{Media, MediaError};
use crate::server::store::{MediaId, Store, StoreError, Variant};

#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl JobError {
    /// True when the machine, not the media file, is at fault.
    fn is_environmental(&self) -> bool {
        use crate::server::media::ProcessError;
        matches!(
            self,
            JobError::Store(_)
                | JobError::Media(MediaError::Process(
                    ProcessError::NotFound(_) | ProcessError::Spawn { .. }
                ))
        )
    }
}

#[derive(Clone)]
pub struct Processor {
    queue: mpsc::UnboundedSender<MediaId>,
    /// Jobs queued or running; tests and shutdown wait for it to reach zero.
    pending: Arc<watch::Sender<usize>>,
}

struct Worker {
    repo: Repo,
    store: Store,
    media: Media,
}

impl Processor {
    pub fn start(workers: usize, repo: Repo, store: Store, media: Media) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel::<MediaId>();
        let receiver = Arc::new(Mutex::new(receiver));
        let pending = Arc::new(watch::Sender::new(0usize));
        let worker = Arc::new(Worker { repo, store, media });
        for _ in 0..workers.max(1) {
            let receiver = receiver.clone();
            let worker = worker.clone();
            let pending = pending.clone();
            tokio::spawn(async move {
                loop {
                    let next = receiver.lock().await.recv().await;
                    let Some(id) = next else { break };
                    // A panic in one job is contained in its own task.
                    let job = tokio::spawn({
                        let worker = worker.clone();
                        let id = id.clone();
                        async move { worker.process(&id).await }
                    });
                    if let Err(e) = job.await {
                        tracing::error!(%id, "processing panicked: {e}");
                        let reason =
                            "Processing stopped unexpectedly. Try uploading the file again.";
                        if let Err(e) = worker.repo.mark_failed(&id, reason).await {
                            tracing::error!(%id, "cannot record the failure: {e}");
                        }
                    }
                    pending.send_modify(|n| *n = n.saturating_sub(1));
                }
            });
        }
        Processor { queue, pending }
    }

    pub fn enqueue(&self, id: MediaId) {
        self.pending.send_modify(|n| *n += 1);
        if self.queue.send(id).is_err() {
            self.pending.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    /// Resolves once nothing is queued or running.
    pub async fn wait_idle(&self) {
        let mut rx = self.pending.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

impl Worker {
    async fn process(&self, id: &MediaId) {
        let input = match self.repo.processing_input(id).await {
            Ok(Some(input)) => input,
            Ok(None) => return, // deleted, or already finished
            Err(e) => {
                tracing::error!(%id, "cannot load the item to process: {e}");
                return;
            }
        };
        let source = match (input.kind, input.cover_stream) {
            (MediaKind::Video, _) => Some(PosterSource::VideoFrame {
                at_secs: frame_time(input.duration_secs),
            }),
            (MediaKind::Audio, Some(stream)) => Some(PosterSource::Cover { stream }),
            (MediaKind::Audio, None) => None,
        };
        let outcome = match source {
            Some(source) => self
                .make_poster(id, &input.container, source)
                .await
                .map(|()| true),
            None => Ok(false),
        };
        let recorded = match outcome {
            Ok(has_poster) => self.repo.mark_ready(id, has_poster).await,
            Err(e) if e.is_environmental() => {
                // Not the file's fault (ffmpeg missing, disk full): leave the item
                // processing so the next start tries again, rather than blame the file.
                tracing::error!(%id, "processing could not run; it will be retried at the next start: {e}");
                return;
            }
            Err(e) if input.kind == MediaKind::Audio => {
                // Sound plays without a picture: keep the item, log the cover problem.
                tracing::warn!(%id, "cannot extract cover art: {e}");
                self.repo.mark_ready(id, false).await
            }
            Err(e) => {
                tracing::warn!(%id, "cannot make a poster: {e}");
                let reason = "Reel could not read a picture from this video. The file may be damaged or incomplete.";
                self.repo.mark_failed(id, reason).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(%id, "cannot record the processing result: {e}");
        }
    }

    async fn make_poster(
        &self,
        id: &MediaId,
        demuxer: &str,
        source: PosterSource,
    ) -> Result<(), JobError> {
        let input = self.store.path(id, Variant::Original);
        let temp = self.store.temp_path("jpg");
        let job = PosterJob {
            input: &input,
            demuxer,
            source,
        };
        let first = self.media.poster(&job, temp.path()).await;
        // A seek past the last keyframe of a short or odd file yields nothing: try the start.
        if let (Err(MediaError::NoPicture), PosterSource::VideoFrame { at_secs }) = (&first, source)
            && at_secs > 0.0
        {
            let job = PosterJob {
                source: PosterSource::VideoFrame { at_secs: 0.0 },
                ..job
            };
            self.media.poster(&job, temp.path()).await?;
        } else {
            first?;
        }
        self.store.persist(temp, id, Variant::Poster).await?;
        Ok(())
    }
}
