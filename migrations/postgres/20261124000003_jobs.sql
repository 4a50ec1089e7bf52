-- PostgreSQL twin of ../20261124000003_jobs.sql: the durable processing
-- queue. Workers on any node claim rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    media_id      text COLLATE "C" NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('poster', 'playable', 'scrub', 'waveform')),
    state         text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    -- Kind-specific input decided when the job was made (JSON).
    params        text NOT NULL DEFAULT '{}',
    attempts      bigint NOT NULL DEFAULT 0,
    -- The fencing token of the latest claim, never reused (job_claims):
    -- every write of a claimed job names it, so a worker whose job was
    -- requeued and claimed again, on any node, can no longer write it.
    claim         bigint,
    -- The queue's clock is Unix milliseconds, the values its callers pass
    -- (backoff, staleness cut-offs): compared, never shown.
    run_after     bigint NOT NULL,
    heartbeat_at  bigint,
    -- 0.0 to 1.0 while running, 1.0 when done.
    progress      double precision,
    eta_secs      double precision,
    last_error    text,
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL
);

CREATE SEQUENCE job_claims;

CREATE INDEX jobs_claimable ON jobs (state, run_after, id);
CREATE INDEX jobs_by_media ON jobs (media_id);

ALTER TABLE media ADD COLUMN play_variant text CHECK (play_variant IN ('original', 'playable'));
ALTER TABLE media ADD COLUMN has_scrub boolean NOT NULL DEFAULT false;
ALTER TABLE media ADD COLUMN has_waveform boolean NOT NULL DEFAULT false;
