-- Accounts: users with roles, sessions and API tokens (stored as SHA-256
-- hashes, never the tokens themselves), share links, site settings; every
-- item gets an owner and a visibility, every upload the owner it will have.

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- Argon2id in PHC string form.
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    disabled       INTEGER NOT NULL DEFAULT 0,
    -- Bytes of originals the user may own; NULL: no limit.
    quota_bytes    INTEGER CHECK (quota_bytes IS NULL OR quota_bytes >= 0),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- Times here are Unix milliseconds: the expiry checks compare them.
CREATE TABLE sessions (
    token_hash     TEXT PRIMARY KEY NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    -- The absolute end; the idle end is last_seen_at plus the idle limit.
    expires_at     INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id             TEXT PRIMARY KEY NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE share_links (
    id             TEXT PRIMARY KEY NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    media_id       TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    created_by     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL,
    -- NULL: never expires.
    expires_at     INTEGER,
    -- Argon2id of the link's password; NULL: none.
    password_hash  TEXT,
    revoked        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX share_links_by_media ON share_links (media_id);

CREATE TABLE settings (
    key            TEXT PRIMARY KEY NOT NULL,
    value          TEXT NOT NULL
);

-- Items from before accounts have no owner until the first admin exists;
-- then they are the admin's. Every item starts private.
ALTER TABLE media ADD COLUMN owner_id TEXT REFERENCES users (id);
ALTER TABLE media ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private'
    CHECK (visibility IN ('private', 'internal', 'unlisted', 'public'));
-- Bumped on every change of who may read the item: signed byte URLs carry
-- the value they were made with, so one bump revokes them all.
ALTER TABLE media ADD COLUMN access_generation INTEGER NOT NULL DEFAULT 0;
CREATE INDEX media_by_owner ON media (owner_id, id);
CREATE INDEX media_by_visibility ON media (visibility, id);

-- What a resumable upload's item will be: its owner and visibility.
ALTER TABLE uploads ADD COLUMN owner_id TEXT REFERENCES users (id);
ALTER TABLE uploads ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private'
    CHECK (visibility IN ('private', 'internal', 'unlisted', 'public'));
