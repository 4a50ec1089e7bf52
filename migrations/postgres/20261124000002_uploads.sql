-- PostgreSQL twin of ../20261124000002_uploads.sql. One row per tus upload.
CREATE TABLE uploads (
    id              text COLLATE "C" PRIMARY KEY,
    length          bigint NOT NULL CHECK (length >= 0),
    -- Sanitised client metadata: shown to people, never a path.
    filename        text NOT NULL,
    filetype        text,
    state           text NOT NULL CHECK (state IN ('receiving', 'finalising', 'done', 'failed')),
    -- Set while a chunk with Upload-Checksum is being written: the offset to
    -- roll back to if the process dies before the chunk is verified.
    unverified_from bigint,
    -- Chosen before the bytes move into the store, so a restart mid-way
    -- finishes the same item instead of making a second one.
    media_id        text COLLATE "C",
    failure_reason  text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    -- Unix milliseconds, as the repository's callers count them.
    expires_at      bigint NOT NULL
);

CREATE INDEX uploads_by_expiry ON uploads (expires_at);
CREATE INDEX uploads_by_state ON uploads (state);
