-- PostgreSQL twin of ../20261204000013_labels.sql.
ALTER TABLE media ADD COLUMN labels text NOT NULL DEFAULT '';

CREATE TABLE media_labels (
    n          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    media_id   text COLLATE "C" NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    label_key  text NOT NULL,
    label      text NOT NULL,
    UNIQUE (media_id, label_key)
);
CREATE INDEX media_labels_by_key ON media_labels (label_key, media_id);

CREATE TABLE favourites (
    n           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    media_id    text COLLATE "C" NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    created_at  bigint NOT NULL,
    UNIQUE (user_id, media_id)
);
CREATE INDEX favourites_by_media ON favourites (media_id);

-- Items as the repository reads them (see 20261202000006_accounts.sql).
CREATE OR REPLACE VIEW media_rows AS
SELECT id, title, original_filename, size_bytes, sha256, content_type, kind, container,
       duration_secs, width, height, video_codec, audio_codec, cover_stream, state,
       failure_reason, has_poster, reel_rfc3339(created_at) AS created_at,
       reel_rfc3339(updated_at) AS updated_at, play_variant, has_scrub, has_waveform,
       description, source_id, edit_summary, owner_id, visibility, access_generation, hls,
       artist, album, album_artist, genre, year, track_number, disc_number, chapters,
       loudness_lufs, labels
FROM media;
