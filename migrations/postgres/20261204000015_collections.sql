-- Collections (see the SQLite migration of the same name).
CREATE TABLE collections (
    id          text COLLATE "C" PRIMARY KEY,
    owner_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('playlist', 'smart')),
    query       text,
    visibility  text NOT NULL DEFAULT 'private'
        CHECK (visibility IN ('private', 'internal', 'unlisted', 'public')),
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL
);
CREATE INDEX collections_by_owner ON collections (owner_id, id);

CREATE TABLE collection_items (
    n              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id  text COLLATE "C" NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    media_id       text COLLATE "C" NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    position       bigint NOT NULL,
    added_at       bigint NOT NULL,
    UNIQUE (collection_id, media_id)
);
CREATE INDEX collection_items_in_order ON collection_items (collection_id, position);
CREATE INDEX collection_items_by_media ON collection_items (media_id);

ALTER TABLE share_links
    ALTER COLUMN media_id DROP NOT NULL,
    ADD COLUMN collection_id text COLLATE "C" REFERENCES collections (id) ON DELETE CASCADE,
    ADD CONSTRAINT share_links_one_target CHECK ((media_id IS NULL) <> (collection_id IS NULL));
CREATE INDEX share_links_by_collection ON share_links (collection_id);
