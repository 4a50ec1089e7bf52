//! Upload workers: each sends new media, one file after another, until the
//! run's deadline or its count (`--uploads-each`), and checks every upload became an item whose original
//! hashes as sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reel::model::UploadPhase;

use crate::run::Run;
use crate::stats::{Kind, Recorder};
use reel::testing::media::Dice;

/// Bytes per tus PATCH: small enough that most files take several.
const TUS_CHUNK: usize = 64 * 1024;

/// How long a tus upload may take to become an item after its last PATCH.
const FINALISE_WITHIN: Duration = Duration::from_secs(60);

/// The browser's uploader waits this long before its first `upload_status`
/// call, then twice as long each time up to `STATUS_EVERY_AT_MOST`
/// (`follow_finalising` in src/app/browser/tus.rs); so does the load.
const STATUS_FIRST_AFTER: Duration = Duration::from_millis(200);
const STATUS_EVERY_AT_MOST: Duration = Duration::from_secs(2);

/// `POST /api/uploads`, whole files, one after another.
pub(crate) async fn multipart(run: Arc<Run>, seed: u64) -> Recorder {
    let mut rec = Recorder::default();
    let mut dice = Dice::seeded(seed);
    let mut sent = 0;
    while run.uploading(sent) {
        sent += 1;
        let media = run.next_media();
        let started = Instant::now();
        let created = run.reel.upload(&media).await;
        let Some(created) = rec.note(Kind::Multipart, started.elapsed(), created) else {
            continue;
        };
        run.fetch_back(
            &mut rec,
            &media,
            created.id.as_str(),
            &created.urls.original,
            dice.roll(),
        )
        .await;
    }
    rec
}

/// tus: create, PATCH in chunks, wait for the item, look it up.
pub(crate) async fn tus(run: Arc<Run>, seed: u64) -> Recorder {
    let mut rec = Recorder::default();
    let mut dice = Dice::seeded(seed);
    let mut sent = 0;
    while run.uploading(sent) {
        sent += 1;
        let media = run.next_media();
        let started = Instant::now();
        let created = run.reel.tus_create(&media).await;
        let Some(location) = rec.note(Kind::TusCreate, started.elapsed(), created) else {
            continue;
        };
        let mut sent_all = true;
        for (i, chunk) in media.bytes.chunks(TUS_CHUNK).enumerate() {
            let offset = i * TUS_CHUNK;
            let started = Instant::now();
            let patched = run
                .reel
                .tus_patch(
                    &location,
                    offset,
                    media.bytes.slice(offset..offset + chunk.len()),
                )
                .await;
            if rec
                .note(Kind::TusPatch, started.elapsed(), patched)
                .is_none()
            {
                sent_all = false;
                break;
            }
        }
        if !sent_all {
            continue;
        }
        let upload_id = location.rsplit('/').next().unwrap_or_default();
        let last_patch_answered = Instant::now();
        let media_id = match finalised(&run, &mut rec, upload_id).await {
            Ok(id) => {
                rec.ok(Kind::TusFinalised, last_patch_answered.elapsed());
                id
            }
            Err(e) => {
                let message = format!("{} (upload {upload_id}): {e}", media.name);
                rec.failed(Kind::TusFinalised, last_patch_answered.elapsed(), message);
                continue;
            }
        };
        let started = Instant::now();
        let item = run.reel.item(&media_id).await;
        let Some(item) = rec.note(Kind::ItemLookup, started.elapsed(), item) else {
            continue;
        };
        run.fetch_back(
            &mut rec,
            &media,
            &media_id,
            &item.urls.original,
            dice.roll(),
        )
        .await;
    }
    rec
}

/// Polls `upload_status` (as the browser's uploader does: tus itself has
/// no "it is an item now" signal) until the upload is an item, within
/// `FINALISE_WITHIN`; its media id. The waits between calls are the poll's
/// interval, not synchronisation: nothing else says when the item exists.
async fn finalised(run: &Run, rec: &mut Recorder, upload_id: &str) -> Result<String, String> {
    let give_up = Instant::now() + FINALISE_WITHIN;
    let mut wait = STATUS_FIRST_AFTER;
    loop {
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(STATUS_EVERY_AT_MOST);
        let started = Instant::now();
        let status = run.reel.upload_status(upload_id).await;
        let status = rec
            .note(Kind::TusStatus, started.elapsed(), status)
            .ok_or("upload_status failed")?;
        match status.phase {
            UploadPhase::Done { media_id, .. } => return Ok(media_id.as_str().to_string()),
            UploadPhase::Failed { reason } => return Err(format!("the upload failed: {reason}")),
            UploadPhase::Receiving | UploadPhase::Finalising if Instant::now() < give_up => {}
            phase => {
                return Err(format!("still {phase:?} after {FINALISE_WITHIN:?}"));
            }
        }
    }
}
