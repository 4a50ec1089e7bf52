-- PostgreSQL twin of ../20261203000009_tags.sql: an item's tags and
-- chapters, and the tags' words in the search vector.

ALTER TABLE media ADD COLUMN artist text;
ALTER TABLE media ADD COLUMN album text;
ALTER TABLE media ADD COLUMN album_artist text;
ALTER TABLE media ADD COLUMN genre text;
ALTER TABLE media ADD COLUMN year bigint CHECK (year BETWEEN 1 AND 9999);
ALTER TABLE media ADD COLUMN track_number bigint CHECK (track_number BETWEEN 1 AND 9999);
ALTER TABLE media ADD COLUMN disc_number bigint CHECK (disc_number BETWEEN 1 AND 999);
-- An array of {"start_secs", "title"}, in order. Text holding JSON, as on
-- SQLite: the list is only ever read and written whole, never queried, and
-- the same text on both sides keeps `reel database copy`'s hashes equal.
ALTER TABLE media ADD COLUMN chapters text NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(chapters::jsonb) = 'array');

-- The search vector gains the tags (a generated column's expression cannot
-- be altered: it is made again, and its index with it).
ALTER TABLE media DROP COLUMN search;
ALTER TABLE media ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig,
                reel_search_words(title || ' ' || original_filename || ' ' || description
                                  || ' ' || coalesce(artist, '') || ' ' || coalesce(album, '')
                                  || ' ' || coalesce(album_artist, '') || ' '
                                  || coalesce(genre, '')))
) STORED;
CREATE INDEX media_search ON media USING gin (search);

-- Items as the repository reads them (see 20261202000006_accounts.sql).
DROP VIEW media_rows;
CREATE VIEW media_rows AS
SELECT id, title, original_filename, size_bytes, sha256, content_type, kind, container,
       duration_secs, width, height, video_codec, audio_codec, cover_stream, state,
       failure_reason, has_poster, reel_rfc3339(created_at) AS created_at,
       reel_rfc3339(updated_at) AS updated_at, play_variant, has_scrub, has_waveform,
       description, source_id, edit_summary, owner_id, visibility, access_generation, hls,
       artist, album, album_artist, genre, year, track_number, disc_number,
       chapters
FROM media;
