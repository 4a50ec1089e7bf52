-- A file already in its owner's library is not stored twice: an upload or an
-- import of the same bytes finds the item by owner and content hash, and the
-- upload ends naming that item.
CREATE INDEX media_by_owner_hash ON media (owner_id, sha256);

-- The upload ended as a duplicate: media_id names the item that was there.
ALTER TABLE uploads ADD COLUMN duplicate INTEGER NOT NULL DEFAULT 0;
