-- Caption tracks and their cues, as on SQLite; cue words are searched
-- through the same reel_search_words as the media rows.
CREATE TABLE captions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    media_id      text COLLATE "C" NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    origin        text NOT NULL CHECK (origin IN ('file', 'upload')),
    stream_index  bigint,
    codec         text,
    label         text NOT NULL,
    language      text,
    state         text NOT NULL CHECK (state IN ('pending', 'ready', 'unsupported')),
    vtt           text,
    created_at    bigint NOT NULL
);
CREATE INDEX captions_by_media ON captions (media_id, id);

CREATE TABLE caption_cues (
    n           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    caption_id  bigint NOT NULL REFERENCES captions (id) ON DELETE CASCADE,
    media_id    text COLLATE "C" NOT NULL,
    start_ms    bigint NOT NULL,
    text        text NOT NULL,
    search      tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, reel_search_words(text))
    ) STORED
);
CREATE INDEX caption_cues_by_caption ON caption_cues (caption_id);
CREATE INDEX caption_cues_search ON caption_cues USING gin (search);
