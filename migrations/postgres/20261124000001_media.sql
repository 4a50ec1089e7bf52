-- PostgreSQL twin of ../20261124000001_media.sql: the same tables and
-- constraints, in this server's types (bigint, boolean, timestamptz,
-- double precision). Ids sort by their bytes (COLLATE "C"), as in SQLite:
-- they are UUIDv7 in hex, so id order is upload order.
CREATE TABLE media (
    id                text COLLATE "C" PRIMARY KEY,
    title             text NOT NULL,
    original_filename text NOT NULL,
    size_bytes        bigint NOT NULL CHECK (size_bytes >= 0),
    sha256            text NOT NULL,
    content_type      text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('audio', 'video')),
    -- The demuxer ffprobe detected; later runs of ffmpeg force it with -f.
    container         text NOT NULL,
    duration_secs     double precision,
    width             bigint,
    height            bigint,
    video_codec       text,
    audio_codec       text,
    -- Index of the embedded cover-art stream of an audio file, if any.
    cover_stream      bigint,
    state             text NOT NULL CHECK (state IN ('processing', 'ready', 'failed')),
    failure_reason    text,
    has_poster        boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE INDEX media_by_created ON media (created_at DESC, id DESC);
CREATE INDEX media_by_state ON media (state);
