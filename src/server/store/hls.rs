//! An item's HLS ladder: the files ffmpeg writes (a master playlist, one
//! playlist and one fragmented MP4 per rendition) and the folder it writes
//! them in while it encodes.
//!
//! On a local store ffmpeg writes straight into the item's `hls` folder, so
//! the byte server can serve the renditions while they grow (publishing
//! while encoding). Into an object store, whose objects cannot grow, it
//! writes in scratch and the files are stored when the ladder is whole.

use std::path::{Path, PathBuf};

use super::{Objects, Store, StoreError, Variant, io_at};
use crate::model::MediaId;

/// Renditions a ladder can have: up to four video rungs and one sound.
pub(crate) const HLS_STREAMS: u8 = 5;

/// One file of a ladder. `Playlist(n)` and `Stream(n)` are rendition `n`
/// (`n < HLS_STREAMS`), in ffmpeg's `var_stream_map` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum HlsFile {
    Master,
    Playlist(u8),
    Stream(u8),
}

/// Every file's name within the item, in `HlsFile::ALL` order.
const NAMES: [&str; 11] = [
    "hls/master.m3u8",
    "hls/v0.m3u8",
    "hls/v1.m3u8",
    "hls/v2.m3u8",
    "hls/v3.m3u8",
    "hls/v4.m3u8",
    "hls/v0.mp4",
    "hls/v1.mp4",
    "hls/v2.mp4",
    "hls/v3.mp4",
    "hls/v4.mp4",
];

/// The folder within an item that holds its ladder.
pub(super) const FOLDER: &str = "hls";

impl HlsFile {
    pub(crate) const ALL: [HlsFile; 11] = [
        HlsFile::Master,
        HlsFile::Playlist(0),
        HlsFile::Playlist(1),
        HlsFile::Playlist(2),
        HlsFile::Playlist(3),
        HlsFile::Playlist(4),
        HlsFile::Stream(0),
        HlsFile::Stream(1),
        HlsFile::Stream(2),
        HlsFile::Stream(3),
        HlsFile::Stream(4),
    ];

    fn index(self) -> usize {
        let n = |n: u8| usize::from(n.min(HLS_STREAMS - 1));
        match self {
            HlsFile::Master => 0,
            HlsFile::Playlist(i) => 1 + n(i),
            HlsFile::Stream(i) => 1 + usize::from(HLS_STREAMS) + n(i),
        }
    }

    /// The file's name within the item ("hls/v0.mp4"), also its address
    /// below `/files/{id}/`.
    pub(crate) fn item_path(self) -> &'static str {
        NAMES[self.index()]
    }

    /// The file's name within the ladder's folder ("v0.mp4").
    pub(crate) fn name(self) -> &'static str {
        &self.item_path()[FOLDER.len() + 1..]
    }

    pub(crate) fn is_playlist(self) -> bool {
        !matches!(self, HlsFile::Stream(_))
    }
}

/// The folder ffmpeg writes a ladder in. Removed with everything in it on
/// drop unless `Store::commit_ladder` took it, so a failed, cancelled or
/// interrupted encode leaves no files.
pub(crate) struct LadderOutput {
    dir: PathBuf,
    /// Whether the files are already where they are served from (a local
    /// store), so the ladder can be watched as it grows.
    live: bool,
    armed: bool,
}

impl LadderOutput {
    /// Where ffmpeg writes (this machine's disk).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the byte server sees the files while they are written.
    pub(crate) fn is_live(&self) -> bool {
        self.live
    }

    /// Whether a player could start now: the master playlist exists and
    /// each of the first `streams` renditions lists a segment.
    pub(crate) async fn has_started(&self, streams: u8) -> bool {
        if !tokio::fs::try_exists(self.dir.join(HlsFile::Master.name()))
            .await
            .unwrap_or(false)
        {
            return false;
        }
        for n in 0..streams.min(HLS_STREAMS) {
            let playlist = self.dir.join(HlsFile::Playlist(n).name());
            match tokio::fs::read_to_string(&playlist).await {
                Ok(text) if text.contains("#EXTINF") => {}
                _ => return false,
            }
        }
        true
    }
}

impl Drop for LadderOutput {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Store {
    /// An empty folder for `id`'s ladder (what an earlier, interrupted
    /// encode left there is removed first).
    pub(crate) async fn ladder_output(&self, id: &MediaId) -> Result<LadderOutput, StoreError> {
        let (dir, live) = match &self.objects {
            Objects::Local(local) => (local.ladder_dir(id), true),
            Objects::S3(_) => {
                let name = format!("ladder-{}", uuid::Uuid::new_v4().simple());
                (self.scratch.join(name), false)
            }
        };
        if tokio::fs::try_exists(&dir).await.unwrap_or(false) {
            tokio::fs::remove_dir_all(&dir).await.map_err(io_at(&dir))?;
        }
        // Made with no await between the folder and its guard: a job
        // cancelled here would otherwise leave a folder that no one removes.
        std::fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        Ok(LadderOutput {
            dir,
            live,
            armed: true,
        })
    }

    /// Keeps a finished ladder as `id`'s: flushed to disk in place on a
    /// local store, stored file by file (the master playlist last) in an
    /// object store.
    pub(crate) async fn commit_ladder(
        &self,
        mut output: LadderOutput,
        id: &MediaId,
    ) -> Result<(), StoreError> {
        let mut files = HlsFile::ALL.to_vec();
        // The master names the others: it goes last.
        files.rotate_left(1);
        for file in files {
            let path = output.dir.join(file.name());
            if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
                continue;
            }
            match &self.objects {
                Objects::Local(_) => {
                    let handle = tokio::fs::File::open(&path).await.map_err(io_at(&path))?;
                    handle.sync_all().await.map_err(io_at(&path))?;
                }
                Objects::S3(s3) => s3.persist_path(&path, id, Variant::Hls(file)).await?,
            }
        }
        if output.live {
            if let Ok(dir) = tokio::fs::File::open(&output.dir).await {
                let _ = dir.sync_all().await;
            }
            output.armed = false;
        }
        Ok(())
    }
}
