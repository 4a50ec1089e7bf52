-- Caption tracks: the text subtitle streams of a file (listed at ingest,
-- read by the poster job) and WebVTT or SubRip files people add. The
-- WebVTT text lives in the row: caption files are small, and rows move
-- with the library to any backend. Image-based streams get a row too, so
-- the page can say they are not supported rather than drop them.
CREATE TABLE captions (
    id            INTEGER PRIMARY KEY,
    media_id      TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    origin        TEXT NOT NULL CHECK (origin IN ('file', 'upload')),
    stream_index  INTEGER,
    codec         TEXT,
    label         TEXT NOT NULL,
    language      TEXT,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'ready', 'unsupported')),
    vtt           TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX captions_by_media ON captions (media_id, id);

-- Each cue's text, for "which talk said this?".
CREATE TABLE caption_cues (
    n           INTEGER PRIMARY KEY,
    caption_id  INTEGER NOT NULL REFERENCES captions (id) ON DELETE CASCADE,
    media_id    TEXT NOT NULL,
    start_ms    INTEGER NOT NULL,
    text        TEXT NOT NULL
);
CREATE INDEX caption_cues_by_caption ON caption_cues (caption_id);

CREATE VIRTUAL TABLE caption_search USING fts5 (
    text,
    content = 'caption_cues', content_rowid = 'n',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

-- Foreign-key cascades fire these too, so a deleted item leaves no words.
CREATE TRIGGER caption_search_insert AFTER INSERT ON caption_cues BEGIN
    INSERT INTO caption_search (rowid, text) VALUES (new.n, new.text);
END;

CREATE TRIGGER caption_search_delete AFTER DELETE ON caption_cues BEGIN
    INSERT INTO caption_search (caption_search, rowid, text) VALUES ('delete', old.n, old.text);
END;
