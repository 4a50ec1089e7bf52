-- PostgreSQL twin of ../20261202000006_accounts.sql: users with roles,
-- sessions and API tokens (by the SHA-256 of their secret), share links,
-- site settings; every item and upload gets an owner and a visibility.

CREATE TABLE users (
    id             text COLLATE "C" PRIMARY KEY,
    name           text NOT NULL,
    -- Argon2id in PHC string form.
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    disabled       boolean NOT NULL DEFAULT false,
    -- Bytes of originals the user may own; NULL: no limit.
    quota_bytes    bigint CHECK (quota_bytes IS NULL OR quota_bytes >= 0),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
-- Names are unique without regard to case (SQLite: COLLATE NOCASE).
CREATE UNIQUE INDEX users_by_name ON users (lower(name));

-- Times here are Unix milliseconds, as the callers count them.
CREATE TABLE sessions (
    token_hash     text PRIMARY KEY,
    user_id        text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     bigint NOT NULL,
    last_seen_at   bigint NOT NULL,
    expires_at     bigint NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id             text COLLATE "C" PRIMARY KEY,
    token_hash     text NOT NULL UNIQUE,
    user_id        text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           text NOT NULL,
    created_at     bigint NOT NULL,
    last_used_at   bigint
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE share_links (
    id             text COLLATE "C" PRIMARY KEY,
    token_hash     text NOT NULL UNIQUE,
    media_id       text COLLATE "C" NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    created_by     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     bigint NOT NULL,
    expires_at     bigint,
    password_hash  text,
    revoked        boolean NOT NULL DEFAULT false
);
CREATE INDEX share_links_by_media ON share_links (media_id);

CREATE TABLE settings (
    key            text PRIMARY KEY,
    value          text NOT NULL
);

ALTER TABLE media ADD COLUMN owner_id text COLLATE "C" REFERENCES users (id);
ALTER TABLE media ADD COLUMN visibility text NOT NULL DEFAULT 'private'
    CHECK (visibility IN ('private', 'internal', 'unlisted', 'public'));
ALTER TABLE media ADD COLUMN access_generation bigint NOT NULL DEFAULT 0;
CREATE INDEX media_by_owner ON media (owner_id, id);
CREATE INDEX media_by_visibility ON media (visibility, id);

ALTER TABLE uploads ADD COLUMN owner_id text COLLATE "C" REFERENCES users (id);
ALTER TABLE uploads ADD COLUMN visibility text NOT NULL DEFAULT 'private'
    CHECK (visibility IN ('private', 'internal', 'unlisted', 'public'));

-- Items as the repository reads them: every column but the search vector,
-- timestamps as RFC 3339 text in UTC (what SQLite stores and pages show).
-- Redefine it (CREATE OR REPLACE VIEW) whenever media gains a column.
CREATE FUNCTION reel_rfc3339(timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

CREATE VIEW media_rows AS
SELECT id, title, original_filename, size_bytes, sha256, content_type, kind, container,
       duration_secs, width, height, video_codec, audio_codec, cover_stream, state,
       failure_reason, has_poster, reel_rfc3339(created_at) AS created_at,
       reel_rfc3339(updated_at) AS updated_at, play_variant, has_scrub, has_waveform,
       description, source_id, edit_summary, owner_id, visibility, access_generation
FROM media;
