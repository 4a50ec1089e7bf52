//! Rows both backends read and write: what callers hand the repository and
//! what it hands back. The SQL lives in `sqlite/` and `postgres/`.

use crate::accounts::{Role, ShareId, UserId, Visibility};
use crate::model::{JobKind, MediaId, MediaKind, PlaySource, UploadId};
use crate::server::domain::MediaFacts;

use super::{DbError, fits, fits_opt};

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
    pub(crate) media_id: MediaId,
    pub(crate) expires_at: Option<i64>,
    pub(crate) password_hash: Option<String>,
    pub(crate) revoked: bool,
}

/// What making a share link records.
pub(crate) struct NewShare<'a> {
    pub(crate) token_hash: &'a str,
    pub(crate) media: &'a MediaId,
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
