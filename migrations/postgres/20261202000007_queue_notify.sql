-- Wake-ups across nodes: a job that becomes queued (a new job, a retry, a
-- requeue of an expired lease) notifies every node's workers at commit,
-- through LISTEN reel_jobs. Identical payloads in one transaction fold into
-- one notification; workers still poll (at most every 5 s), since a
-- listener that was reconnecting misses what was sent meanwhile.
CREATE FUNCTION reel_jobs_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('reel_jobs', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_queued_notify
    AFTER INSERT OR UPDATE OF state ON jobs
    FOR EACH ROW WHEN (NEW.state = 'queued')
    EXECUTE FUNCTION reel_jobs_queued();
