-- What a file says about itself: its tags (artist, album, track…) and its
-- chapters, read at ingest and editable since. Tags are searchable.

ALTER TABLE media ADD COLUMN artist TEXT;
ALTER TABLE media ADD COLUMN album TEXT;
ALTER TABLE media ADD COLUMN album_artist TEXT;
ALTER TABLE media ADD COLUMN genre TEXT;
ALTER TABLE media ADD COLUMN year INTEGER CHECK (year BETWEEN 1 AND 9999);
ALTER TABLE media ADD COLUMN track_number INTEGER CHECK (track_number BETWEEN 1 AND 9999);
ALTER TABLE media ADD COLUMN disc_number INTEGER CHECK (disc_number BETWEEN 1 AND 999);
-- A JSON array of {"start_secs", "title"}, in order: chapters are always
-- read and written whole, never queried one by one.
ALTER TABLE media ADD COLUMN chapters TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(chapters));

-- Search gains one column: the tags' words.
ALTER TABLE media_text ADD COLUMN tags TEXT NOT NULL DEFAULT '';

DROP TRIGGER media_text_insert;
DROP TRIGGER media_text_update;
DROP TRIGGER media_search_insert;
DROP TRIGGER media_search_delete;
DROP TRIGGER media_search_update;
DROP TABLE media_search;

CREATE VIRTUAL TABLE media_search USING fts5 (
    title, original_filename, description, tags,
    content = 'media_text', content_rowid = 'n',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

CREATE TRIGGER media_text_insert AFTER INSERT ON media BEGIN
    INSERT INTO media_text (media_id, title, original_filename, description, tags)
    VALUES (new.id, new.title, new.original_filename, new.description,
            coalesce(new.artist, '') || ' ' || coalesce(new.album, '') || ' '
            || coalesce(new.album_artist, '') || ' ' || coalesce(new.genre, ''));
END;

CREATE TRIGGER media_text_update
AFTER UPDATE OF title, original_filename, description, artist, album, album_artist, genre ON media
BEGIN
    UPDATE media_text
    SET title = new.title, original_filename = new.original_filename,
        description = new.description,
        tags = coalesce(new.artist, '') || ' ' || coalesce(new.album, '') || ' '
            || coalesce(new.album_artist, '') || ' ' || coalesce(new.genre, '')
    WHERE media_id = old.id;
END;

CREATE TRIGGER media_search_insert AFTER INSERT ON media_text BEGIN
    INSERT INTO media_search (rowid, title, original_filename, description, tags)
    VALUES (new.n, new.title, new.original_filename, new.description, new.tags);
END;

CREATE TRIGGER media_search_delete AFTER DELETE ON media_text BEGIN
    INSERT INTO media_search (media_search, rowid, title, original_filename, description, tags)
    VALUES ('delete', old.n, old.title, old.original_filename, old.description, old.tags);
END;

CREATE TRIGGER media_search_update AFTER UPDATE ON media_text BEGIN
    INSERT INTO media_search (media_search, rowid, title, original_filename, description, tags)
    VALUES ('delete', old.n, old.title, old.original_filename, old.description, old.tags);
    INSERT INTO media_search (rowid, title, original_filename, description, tags)
    VALUES (new.n, new.title, new.original_filename, new.description, new.tags);
END;

INSERT INTO media_search (media_search) VALUES ('rebuild');
