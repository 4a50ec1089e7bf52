//! Rows both backends read and write: what callers hand the repository and
//! what it hands back. The SQL lives in `sqlite/` and `postgres/`.

use crate::accounts::{Role, ShareId, UserId, Visibility};
use crate::collections::CollectionId;
use crate::model::{
    HlsState, ItemTags, JobKind, MediaId, MediaItem, MediaKind, MediaState, MediaUrls, PlaySource,
    UploadId,
};
use crate::server::domain::MediaFacts;

use super::{DbError, fits, fits_opt};

/// An item as stored: what pages show, and the access generation its
/// signed URLs carry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoredItem {
    pub(crate) item: MediaItem,
    pub(crate) generation: i64,
}

/// An item's row as both backends read it (PostgreSQL formats its
/// timestamps as the same RFC 3339 text SQLite stores).
#[derive(sqlx::FromRow)]
pub(super) struct MediaRow {
    pub(super) id: MediaId,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) original_filename: String,
    pub(super) size_bytes: i64,
    pub(super) sha256: String,
    pub(super) content_type: String,
    pub(super) kind: MediaKind,
    pub(super) container: String,
    pub(super) duration_secs: Option<f64>,
    pub(super) width: Option<i64>,
    pub(super) height: Option<i64>,
    pub(super) video_codec: Option<String>,
    pub(super) audio_codec: Option<String>,
    pub(super) cover_stream: Option<i64>,
    pub(super) state: String,
    pub(super) failure_reason: Option<String>,
    pub(super) has_poster: bool,
    pub(super) play_variant: Option<PlaySource>,
    pub(super) has_scrub: bool,
    pub(super) has_waveform: bool,
    pub(super) hls: Option<HlsState>,
    pub(super) source_id: Option<MediaId>,
    pub(super) edit_summary: Option<String>,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) owner_id: Option<UserId>,
    pub(super) visibility: Visibility,
    pub(super) access_generation: i64,
    pub(super) artist: Option<String>,
    pub(super) album: Option<String>,
    pub(super) album_artist: Option<String>,
    pub(super) genre: Option<String>,
    pub(super) year: Option<i64>,
    pub(super) track_number: Option<i64>,
    pub(super) disc_number: Option<i64>,
    /// JSON: an array of `Chapter`.
    pub(super) chapters: String,
    pub(super) loudness_lufs: Option<f64>,
    /// The item's labels, one per line (they hold no control characters),
    /// kept beside `media_labels` so every read of a row has them.
    pub(super) labels: String,
}

impl MediaRow {
    pub(super) fn facts(&self) -> Result<MediaFacts, DbError> {
        Ok(MediaFacts {
            kind: self.kind,
            container: self.container.clone(),
            content_type: self.content_type.clone(),
            duration_secs: self.duration_secs,
            width: fits_opt("width", self.width)?,
            height: fits_opt("height", self.height)?,
            video_codec: self.video_codec.clone(),
            audio_codec: self.audio_codec.clone(),
            cover_stream: fits_opt("cover_stream", self.cover_stream)?,
        })
    }

    pub(super) fn into_stored(self) -> Result<StoredItem, DbError> {
        let generation = self.access_generation;
        Ok(StoredItem {
            item: self.into_item()?,
            generation,
        })
    }

    fn into_item(self) -> Result<MediaItem, DbError> {
        let state = match self.state.as_str() {
            "ready" => MediaState::Ready,
            "failed" => MediaState::Failed(self.failure_reason.unwrap_or_default()),
            "processing" => MediaState::Processing,
            other => {
                return Err(DbError::Query(sqlx::Error::ColumnDecode {
                    index: "state".into(),
                    source: format!("unknown state {other:?}").into(),
                }));
            }
        };
        let chapters = serde_json::from_str(&self.chapters).map_err(|e| {
            DbError::Query(sqlx::Error::ColumnDecode {
                index: "chapters".into(),
                source: Box::new(e),
            })
        })?;
        let mut item = MediaItem {
            id: self.id,
            title: self.title,
            description: self.description,
            original_filename: self.original_filename,
            tags: ItemTags {
                artist: self.artist,
                album: self.album,
                album_artist: self.album_artist,
                genre: self.genre,
                year: fits_opt("year", self.year)?,
                track: fits_opt("track_number", self.track_number)?,
                disc: fits_opt("disc_number", self.disc_number)?,
            },
            chapters,
            labels: self.labels.lines().map(str::to_string).collect(),
            favourite: false,
            loudness_lufs: self.loudness_lufs,
            size_bytes: fits("size_bytes", self.size_bytes)?,
            sha256: self.sha256,
            content_type: self.content_type,
            kind: self.kind,
            duration_secs: self.duration_secs,
            width: fits_opt("width", self.width)?,
            height: fits_opt("height", self.height)?,
            video_codec: self.video_codec,
            audio_codec: self.audio_codec,
            state,
            has_poster: self.has_poster,
            play: self.play_variant,
            has_scrub: self.has_scrub,
            has_waveform: self.has_waveform,
            hls: self.hls,
            progress: None,
            source_id: self.source_id,
            edit_summary: self.edit_summary,
            created_at: self.created_at,
            updated_at: self.updated_at,
            owner: self.owner_id,
            visibility: self.visibility,
            can_change: false,
            urls: MediaUrls::default(),
        };
        // Unsigned: the service signs them for whoever asks.
        item.urls = MediaUrls::of(&item, |_| None);
        Ok(item)
    }
}

/// A user's row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) id: UserId,
    pub(crate) name: String,
    pub(crate) password_hash: String,
    pub(crate) role: Role,
    pub(crate) disabled: bool,
    pub(crate) quota_bytes: Option<i64>,
}

/// Who a session or token speaks for, as found with it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct Holder {
    pub(crate) user_id: UserId,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) disabled: bool,
}

/// A session found by its hash.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct SessionRow {
    #[sqlx(flatten)]
    pub(crate) holder: Holder,
    pub(crate) last_seen_at: i64,
    pub(crate) expires_at: i64,
}

/// A share link as the page that opens it needs it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct ShareRow {
    pub(crate) id: ShareId,
    /// What it opens: an item or a collection (exactly one is set).
    pub(crate) media_id: Option<MediaId>,
    pub(crate) collection_id: Option<CollectionId>,
    pub(crate) expires_at: Option<i64>,
    pub(crate) password_hash: Option<String>,
    pub(crate) revoked: bool,
}

/// What a share link opens.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ShareTarget<'a> {
    Media(&'a MediaId),
    Collection(&'a CollectionId),
}

impl ShareTarget<'_> {
    /// The row's `media_id` and `collection_id`.
    pub(crate) fn columns(&self) -> (Option<&MediaId>, Option<&CollectionId>) {
        match self {
            ShareTarget::Media(id) => (Some(id), None),
            ShareTarget::Collection(id) => (None, Some(id)),
        }
    }
}

/// What making a share link records.
pub(crate) struct NewShare<'a> {
    pub(crate) token_hash: &'a str,
    pub(crate) target: ShareTarget<'a>,
    pub(crate) created_by: &'a UserId,
    pub(crate) now_ms: i64,
    pub(crate) expires_at: Option<i64>,
    pub(crate) password_hash: Option<&'a str>,
}

/// What an edit request records before its job runs.
#[derive(Clone, Debug)]
pub(crate) struct NewEdit {
    pub(crate) id: MediaId,
    pub(crate) source: MediaId,
    pub(crate) title: String,
    pub(crate) original_filename: String,
    pub(crate) kind: MediaKind,
    pub(crate) summary: String,
    /// The edit job's parameters (JSON).
    pub(crate) params: String,
    /// Who asked for the edit: the new item is theirs, private.
    pub(crate) owner: Option<UserId>,
}

/// What an edit made, once its output is probed.
#[derive(Clone, Debug)]
pub(crate) struct FinishedEdit {
    pub(crate) size_bytes: u64,
    pub(crate) sha256: String,
    pub(crate) facts: MediaFacts,
    pub(crate) play: Option<PlaySource>,
    pub(crate) summary: String,
}

/// An item next to another: enough to link to it (its id and title).
pub(crate) type Neighbour = (MediaId, String);

/// An upload's life: bytes arrive, then it becomes an item or fails.
// Stored as text on both backends (a CHECK lists the values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "lowercase", type_name = "text")]
pub(crate) enum UploadState {
    Receiving,
    Finalising,
    Done,
    Failed,
}

/// What creation knows.
#[derive(Clone, Debug)]
pub(crate) struct NewUpload {
    pub(crate) id: UploadId,
    pub(crate) length: u64,
    pub(crate) filename: String,
    pub(crate) filetype: Option<String>,
    /// Unix milliseconds.
    pub(crate) expires_at: i64,
    /// Whose item it will be, and who may see it.
    pub(crate) owner: Option<UserId>,
    pub(crate) visibility: Visibility,
    /// Set when the bytes go straight into an object store's multipart upload.
    pub(crate) multipart: Option<NewMultipart>,
}

/// An upload into an object store: its item is chosen at creation (the
/// multipart upload is made at its original's key).
#[derive(Clone, Debug)]
pub(crate) struct NewMultipart {
    pub(crate) media: MediaId,
    /// `None` for an empty upload, which needs no parts.
    pub(crate) multipart_id: Option<String>,
    pub(crate) part_size: u64,
}

/// Where an upload into an object store stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RemoteParts {
    pub(crate) part_size: u64,
    /// `None` once assembled into the object.
    pub(crate) multipart_id: Option<String>,
    /// Whole parts stored, numbered 1..=parts.
    pub(crate) parts: u32,
    /// Bytes held in the database, short of a whole part.
    pub(crate) tail_len: u64,
    /// The writer's token and when its lease ends (Unix ms).
    pub(crate) writer: Option<(String, i64)>,
}

/// What one writer of an upload into an object store records: parts it
/// stored after the first `after`, and the tail now held.
pub(crate) struct PartsRecord<'a> {
    /// The writer's lease: without it nothing is recorded.
    pub(crate) token: &'a str,
    pub(crate) after: u32,
    pub(crate) tags: &'a [String],
    pub(crate) tail: &'a [u8],
    /// All bytes are in: the upload moves on to finalising.
    pub(crate) complete: bool,
    pub(crate) expires_at: i64,
}

impl RemoteParts {
    /// Bytes received: whole parts, then the tail.
    pub(crate) fn offset(&self) -> u64 {
        u64::from(self.parts) * self.part_size + self.tail_len
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub(crate) id: UploadId,
    pub(crate) length: u64,
    pub(crate) filename: String,
    pub(crate) filetype: Option<String>,
    pub(crate) state: UploadState,
    pub(crate) unverified_from: Option<u64>,
    pub(crate) media_id: Option<MediaId>,
    pub(crate) failure_reason: Option<String>,
    /// Unix milliseconds.
    pub(crate) expires_at: i64,
    pub(crate) owner: Option<UserId>,
    pub(crate) visibility: Visibility,
    /// `Some` when the bytes go into an object store, not the partial area.
    pub(crate) remote: Option<RemoteParts>,
    /// Done without a new item: its bytes were the item `media_id` names.
    pub(crate) duplicate: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct UploadRow {
    id: UploadId,
    length: i64,
    filename: String,
    filetype: Option<String>,
    state: UploadState,
    unverified_from: Option<i64>,
    media_id: Option<MediaId>,
    failure_reason: Option<String>,
    expires_at: i64,
    owner_id: Option<UserId>,
    visibility: Visibility,
    part_size: Option<i64>,
    multipart_id: Option<String>,
    parts: i64,
    tail_len: i64,
    writer: Option<String>,
    writer_until: Option<i64>,
    duplicate: bool,
}

impl UploadRow {
    pub(super) fn into_upload(self) -> Result<Upload, DbError> {
        Ok(Upload {
            id: self.id,
            length: fits("length", self.length)?,
            filename: self.filename,
            filetype: self.filetype,
            state: self.state,
            unverified_from: fits_opt("unverified_from", self.unverified_from)?,
            media_id: self.media_id,
            failure_reason: self.failure_reason,
            expires_at: self.expires_at,
            owner: self.owner_id,
            visibility: self.visibility,
            remote: match self.part_size {
                None => None,
                Some(part_size) => Some(RemoteParts {
                    part_size: fits("part_size", part_size)?,
                    multipart_id: self.multipart_id,
                    parts: fits("parts", self.parts)?,
                    tail_len: fits("tail_len", self.tail_len)?,
                    writer: self.writer.zip(self.writer_until),
                }),
            },
            duplicate: self.duplicate,
        })
    }
}

/// A claimed job, as a worker runs it.
#[derive(Clone, Debug)]
pub(crate) struct ClaimedJob {
    pub(crate) id: i64,
    pub(crate) media_id: MediaId,
    pub(crate) kind: JobKind,
    pub(crate) params: String,
    /// This run included.
    pub(crate) attempts: u32,
}

/// Where one job stands (for settling an item and for progress).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    not(feature = "testing"),
    allow(unreachable_pub, reason = "tests/it reach it through reel::testing")
)]
pub struct JobStatus {
    pub id: i64,
    pub kind: JobKind,
    pub state: JobState,
    pub attempts: u32,
    pub progress: Option<f64>,
    pub eta_secs: Option<f64>,
    pub last_error: Option<String>,
}

// Stored as text on both backends (a CHECK lists the values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(rename_all = "lowercase", type_name = "text")]
#[cfg_attr(
    not(feature = "testing"),
    allow(unreachable_pub, reason = "tests/it reach it through reel::testing")
)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    #[cfg_attr(
        not(feature = "testing"),
        allow(unreachable_pub, reason = "tests/it reach it through reel::testing")
    )]
    pub fn is_active(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    pub(super) id: i64,
    pub(super) media_id: MediaId,
    pub(super) kind: JobKind,
    pub(super) state: JobState,
    pub(super) params: String,
    pub(super) attempts: i64,
    pub(super) progress: Option<f64>,
    pub(super) eta_secs: Option<f64>,
    pub(super) last_error: Option<String>,
}

impl JobRow {
    pub(super) fn status(&self) -> Result<JobStatus, DbError> {
        Ok(JobStatus {
            id: self.id,
            kind: self.kind,
            state: self.state,
            attempts: fits("attempts", self.attempts)?,
            progress: self.progress,
            eta_secs: self.eta_secs,
            last_error: self.last_error.clone(),
        })
    }

    pub(super) fn into_claimed(self) -> Result<ClaimedJob, DbError> {
        Ok(ClaimedJob {
            id: self.id,
            kind: self.kind,
            media_id: self.media_id,
            params: self.params,
            attempts: fits("attempts", self.attempts)?,
        })
    }
}

/// Unix milliseconds now: the queue's clock.
pub(crate) fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// One album as the albums page lists it: audio items grouped by album and
/// album artist (else artist).
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub(crate) struct AlbumRow {
    pub(crate) album: String,
    pub(crate) album_by: Option<String>,
    pub(crate) tracks: i64,
    pub(crate) year: Option<i64>,
    pub(crate) duration_secs: Option<f64>,
    /// A track of the album that has cover art.
    pub(crate) cover_id: Option<MediaId>,
}
