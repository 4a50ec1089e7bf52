-- Resumable uploads into an object store (`--storage s3://…`): the bytes go
-- straight into an S3 multipart upload at the item's original, so any node
-- can resume an upload and none keeps its bytes on its own disk. What the
-- store does not say (which parts are in, the bytes short of a whole part)
-- lives here. NULL part_size: an upload into the local partial area.
ALTER TABLE uploads ADD COLUMN part_size INTEGER;
-- The store's id of the multipart upload; NULL once it is assembled.
ALTER TABLE uploads ADD COLUMN multipart_id TEXT;
-- Whole parts stored and the bytes held as the tail: the offset is
-- parts * part_size + tail_len.
ALTER TABLE uploads ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE uploads ADD COLUMN tail_len INTEGER NOT NULL DEFAULT 0;
-- One writer per upload across nodes: a lease, renewed while it writes.
-- Every record of a writer names its token, so one that lost the lease can
-- never write.
ALTER TABLE uploads ADD COLUMN writer TEXT;
ALTER TABLE uploads ADD COLUMN writer_until INTEGER;

CREATE TABLE upload_parts (
    upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    -- From 1, as S3 counts them.
    number    INTEGER NOT NULL CHECK (number >= 1),
    etag      TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
);

-- The bytes short of a whole part, kept apart so that reading an upload's
-- row never carries them.
CREATE TABLE upload_tails (
    upload_id TEXT PRIMARY KEY NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    bytes     BLOB NOT NULL
);
