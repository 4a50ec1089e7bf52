-- PostgreSQL twin of ../20261203000007_upload_parts.sql: resumable uploads
-- straight into an S3 multipart upload, resumable on any node.
ALTER TABLE uploads ADD COLUMN part_size bigint CHECK (part_size > 0);
ALTER TABLE uploads ADD COLUMN multipart_id text;
ALTER TABLE uploads ADD COLUMN parts bigint NOT NULL DEFAULT 0 CHECK (parts >= 0);
ALTER TABLE uploads ADD COLUMN tail_len bigint NOT NULL DEFAULT 0 CHECK (tail_len >= 0);
ALTER TABLE uploads ADD COLUMN writer text;
ALTER TABLE uploads ADD COLUMN writer_until bigint;

CREATE TABLE upload_parts (
    upload_id text COLLATE "C" NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    number    integer NOT NULL CHECK (number >= 1),
    etag      text NOT NULL,
    PRIMARY KEY (upload_id, number)
);

CREATE TABLE upload_tails (
    upload_id text COLLATE "C" PRIMARY KEY REFERENCES uploads (id) ON DELETE CASCADE,
    bytes     bytea NOT NULL
);
