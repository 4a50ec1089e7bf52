-- One row per tus upload. While it is receiving, its bytes live in the
-- store's partial area under the same id and the offset is the size of that
-- file (what is on disk is what counts). Once complete it is finalised into a
-- media item (media_id) or fails with a reason people can read.
CREATE TABLE uploads (
    id              TEXT PRIMARY KEY NOT NULL,
    length          INTEGER NOT NULL CHECK (length >= 0),
    -- Sanitised client metadata: shown to people, never a path.
    filename        TEXT NOT NULL,
    filetype        TEXT,
    state           TEXT NOT NULL CHECK (state IN ('receiving', 'finalising', 'done', 'failed')),
    -- Set while a chunk with Upload-Checksum is being written: the offset to
    -- roll back to if the process dies before the chunk is verified.
    unverified_from INTEGER,
    -- Chosen before the bytes move into the store, so a restart mid-way
    -- finishes the same item instead of making a second one.
    media_id        TEXT,
    failure_reason  TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    -- Unix milliseconds. Receiving uploads past it are abandoned; finished
    -- rows past it are only history. Both are removed by the cleanup.
    expires_at      INTEGER NOT NULL
);

CREATE INDEX uploads_by_expiry ON uploads (expires_at);
CREATE INDEX uploads_by_state ON uploads (state);
