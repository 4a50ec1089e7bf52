-- PostgreSQL twin of ../20261124000005_edits.sql: jobs of kind 'edit', and
-- where an edited item came from.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check
    CHECK (kind IN ('poster', 'playable', 'scrub', 'waveform', 'edit'));

ALTER TABLE media ADD COLUMN source_id text COLLATE "C" REFERENCES media (id) ON DELETE SET NULL;
ALTER TABLE media ADD COLUMN edit_summary text;
