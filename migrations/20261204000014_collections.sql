-- Collections: playlists (items in an order their owner gives) and smart
-- collections (a saved library query, as JSON). Owner and visibility work
-- as on items. A share link now names an item or a collection.
CREATE TABLE collections (
    id          TEXT PRIMARY KEY NOT NULL,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('playlist', 'smart')),
    query       TEXT,
    visibility  TEXT NOT NULL DEFAULT 'private'
        CHECK (visibility IN ('private', 'internal', 'unlisted', 'public')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX collections_by_owner ON collections (owner_id, id);

CREATE TABLE collection_items (
    n              INTEGER PRIMARY KEY,
    collection_id  TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    media_id       TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    added_at       INTEGER NOT NULL,
    UNIQUE (collection_id, media_id)
);
CREATE INDEX collection_items_in_order ON collection_items (collection_id, position);
CREATE INDEX collection_items_by_media ON collection_items (media_id);

-- SQLite cannot drop NOT NULL in place: the table is made again.
CREATE TABLE share_links_new (
    id             TEXT PRIMARY KEY NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    media_id       TEXT REFERENCES media (id) ON DELETE CASCADE,
    collection_id  TEXT REFERENCES collections (id) ON DELETE CASCADE,
    created_by     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER,
    password_hash  TEXT,
    revoked        INTEGER NOT NULL DEFAULT 0,
    CHECK ((media_id IS NULL) <> (collection_id IS NULL))
);
INSERT INTO share_links_new
    (id, token_hash, media_id, created_by, created_at, expires_at, password_hash, revoked)
    SELECT id, token_hash, media_id, created_by, created_at, expires_at, password_hash, revoked
    FROM share_links;
DROP TABLE share_links;
ALTER TABLE share_links_new RENAME TO share_links;
CREATE INDEX share_links_by_media ON share_links (media_id);
CREATE INDEX share_links_by_collection ON share_links (collection_id);
