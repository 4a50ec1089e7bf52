-- The durable processing queue. Each row is one piece of work on one item;
-- workers claim rows atomically, send heartbeats while they run, and a row
-- whose heartbeat stops (a crash, kill -9) is queued again.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    media_id      TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('poster', 'playable', 'scrub', 'waveform')),
    state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    -- Kind-specific input decided when the job was made (JSON), such as the
    -- playable-version plan taken from the probe.
    params        TEXT NOT NULL DEFAULT '{}',
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- Times the queue compares are Unix milliseconds (text dates of varying
    -- precision do not sort). Backoff: a queued job waits until run_after.
    run_after     INTEGER NOT NULL,
    heartbeat_at  INTEGER,
    -- 0.0 to 1.0 while running (throttled writes), 1.0 when done.
    progress      REAL,
    -- Estimated seconds left, from the rate of progress so far.
    eta_secs      REAL,
    -- The reason a person reads; the technical detail is in the server log.
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    updated_at    TEXT NOT NULL
);

CREATE INDEX jobs_claimable ON jobs (state, run_after, id);
CREATE INDEX jobs_by_media ON jobs (media_id);

-- Which file the player uses: 'original' when the upload already plays in
-- browsers, 'playable' once a converted copy exists, NULL until then.
ALTER TABLE media ADD COLUMN play_variant TEXT CHECK (play_variant IN ('original', 'playable'));
ALTER TABLE media ADD COLUMN has_scrub INTEGER NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN has_waveform INTEGER NOT NULL DEFAULT 0;

-- Items made before this migration play their original, as they always did.
UPDATE media SET play_variant = 'original';

-- Items left processing by the old in-memory queue get their poster job.
INSERT INTO jobs (media_id, kind, state, run_after, created_at, updated_at)
SELECT id, 'poster', 'queued', 0, created_at, created_at FROM media WHERE state = 'processing';
