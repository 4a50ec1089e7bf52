-- One row per library item. The original's bytes live in the store under the
-- same id; derived files (poster) are flagged here.
CREATE TABLE media (
    id                TEXT PRIMARY KEY NOT NULL,
    title             TEXT NOT NULL,
    original_filename TEXT NOT NULL,
    size_bytes        INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256            TEXT NOT NULL,
    content_type      TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('audio', 'video')),
    -- The demuxer ffprobe detected; later runs of ffmpeg force it with -f.
    container         TEXT NOT NULL,
    duration_secs     REAL,
    width             INTEGER,
    height            INTEGER,
    video_codec       TEXT,
    audio_codec       TEXT,
    -- Index of the embedded cover-art stream of an audio file, if any.
    cover_stream      INTEGER,
    state             TEXT NOT NULL CHECK (state IN ('processing', 'ready', 'failed')),
    failure_reason    TEXT,
    has_poster        INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE INDEX media_by_created ON media (created_at DESC, id DESC);
CREATE INDEX media_by_state ON media (state);
