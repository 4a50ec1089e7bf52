-- Adaptive streaming: jobs of kind 'ladder' make an item's HLS renditions,
-- and the item says how far its ladder has come ('live' while encoding,
-- 'ready' once whole). SQLite cannot change a CHECK constraint in place, so
-- the jobs table is rebuilt with the new kind (as in 20261124000005).
CREATE TABLE jobs_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    media_id      TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('poster', 'playable', 'scrub', 'waveform', 'edit', 'ladder')),
    state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    params        TEXT NOT NULL DEFAULT '{}',
    attempts      INTEGER NOT NULL DEFAULT 0,
    run_after     INTEGER NOT NULL,
    heartbeat_at  INTEGER,
    progress      REAL,
    eta_secs      REAL,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    updated_at    TEXT NOT NULL
);
INSERT INTO jobs_new SELECT id, media_id, kind, state, params, attempts, run_after, heartbeat_at,
    progress, eta_secs, last_error, created_at, started_at, finished_at, updated_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_claimable ON jobs (state, run_after, id);
CREATE INDEX jobs_by_media ON jobs (media_id);

ALTER TABLE media ADD COLUMN hls TEXT CHECK (hls IN ('live', 'ready'));
