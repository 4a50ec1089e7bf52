-- PostgreSQL twin of ../20261203000010_loudness.sql.
ALTER TABLE media ADD COLUMN loudness_lufs double precision;

-- Items as the repository reads them (see 20261202000006_accounts.sql).
CREATE OR REPLACE VIEW media_rows AS
SELECT id, title, original_filename, size_bytes, sha256, content_type, kind, container,
       duration_secs, width, height, video_codec, audio_codec, cover_stream, state,
       failure_reason, has_poster, reel_rfc3339(created_at) AS created_at,
       reel_rfc3339(updated_at) AS updated_at, play_variant, has_scrub, has_waveform,
       description, source_id, edit_summary, owner_id, visibility, access_generation, hls,
       artist, album, album_artist, genre, year, track_number, disc_number, chapters,
       loudness_lufs
FROM media;
