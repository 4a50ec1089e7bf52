-- The library page: an editable description, an index for every sort order
-- and full-text search over title, file name and description.

ALTER TABLE media ADD COLUMN description TEXT NOT NULL DEFAULT '';

-- One index per sort order, each ending in the id so that equal keys still
-- have one stable order (pages never repeat or skip an item). SQLite walks
-- an index both ways, so each serves its order and the reverse. Newest and
-- oldest use the primary key: ids are UUIDv7, so their order is upload order.
CREATE INDEX media_by_title ON media (title COLLATE NOCASE, id);
CREATE INDEX media_by_duration ON media (duration_secs, id);
CREATE INDEX media_by_size ON media (size_bytes, id);
-- Counting the items of a filter (the page total) reads only this index.
CREATE INDEX media_by_kind_state ON media (kind, state);

-- The searchable text of each item, keyed by a stable integer. The media
-- table's own rowid cannot key the search index: without an INTEGER PRIMARY
-- KEY, VACUUM may renumber it. Triggers keep this copy in step with media.
CREATE TABLE media_text (
    n                 INTEGER PRIMARY KEY,
    media_id          TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    original_filename TEXT NOT NULL,
    description       TEXT NOT NULL
);

-- Words are letters and digits (punctuation, '_' and '.' separate them),
-- matched without case or accents; the prefix indexes make typing fast.
CREATE VIRTUAL TABLE media_search USING fts5 (
    title, original_filename, description,
    content = 'media_text', content_rowid = 'n',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

CREATE TRIGGER media_text_insert AFTER INSERT ON media BEGIN
    INSERT INTO media_text (media_id, title, original_filename, description)
    VALUES (new.id, new.title, new.original_filename, new.description);
END;

CREATE TRIGGER media_text_update AFTER UPDATE OF title, original_filename, description ON media
BEGIN
    UPDATE media_text
    SET title = new.title, original_filename = new.original_filename,
        description = new.description
    WHERE media_id = old.id;
END;

CREATE TRIGGER media_text_delete AFTER DELETE ON media BEGIN
    DELETE FROM media_text WHERE media_id = old.id;
END;

-- The usual triggers of an external-content FTS5 table.
CREATE TRIGGER media_search_insert AFTER INSERT ON media_text BEGIN
    INSERT INTO media_search (rowid, title, original_filename, description)
    VALUES (new.n, new.title, new.original_filename, new.description);
END;

CREATE TRIGGER media_search_delete AFTER DELETE ON media_text BEGIN
    INSERT INTO media_search (media_search, rowid, title, original_filename, description)
    VALUES ('delete', old.n, old.title, old.original_filename, old.description);
END;

CREATE TRIGGER media_search_update AFTER UPDATE ON media_text BEGIN
    INSERT INTO media_search (media_search, rowid, title, original_filename, description)
    VALUES ('delete', old.n, old.title, old.original_filename, old.description);
    INSERT INTO media_search (rowid, title, original_filename, description)
    VALUES (new.n, new.title, new.original_filename, new.description);
END;

-- Items from before this migration become searchable too.
INSERT INTO media_text (media_id, title, original_filename, description)
SELECT id, title, original_filename, description FROM media ORDER BY id;
