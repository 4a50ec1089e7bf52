-- Tags people give items ("labels" here: the file's own tags are the
-- artist/album columns) and each person's favourites. An item's labels are
-- also kept on its row, one per line, so every read of a row has them;
-- media_labels is what filtering and the list of labels in use read.
ALTER TABLE media ADD COLUMN labels TEXT NOT NULL DEFAULT '';

CREATE TABLE media_labels (
    n          INTEGER PRIMARY KEY,
    media_id   TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    -- Lower case: "Live" and "live" are one label.
    label_key  TEXT NOT NULL,
    label      TEXT NOT NULL,
    UNIQUE (media_id, label_key)
);
CREATE INDEX media_labels_by_key ON media_labels (label_key, media_id);

CREATE TABLE favourites (
    n           INTEGER PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    media_id    TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    UNIQUE (user_id, media_id)
);
CREATE INDEX favourites_by_media ON favourites (media_id);
