-- PostgreSQL twin of ../20261204000012_duplicates.sql.
CREATE INDEX media_by_owner_hash ON media (owner_id, sha256);

ALTER TABLE uploads ADD COLUMN duplicate boolean NOT NULL DEFAULT false;
