-- PostgreSQL twin of ../20261124000004_library.sql: an editable
-- description, an index per sort order, and full-text search that matches
-- as SQLite's FTS5 does there: words are letters and digits (everything
-- else separates them), matched without case or accents, by prefix.

ALTER TABLE media ADD COLUMN description text NOT NULL DEFAULT '';

-- Titles sort by their lower-case bytes, as SQLite's NOCASE does.
CREATE INDEX media_by_title ON media ((lower(title) COLLATE "C"), id);
-- Longest first with unknown durations last, as NULL sorts on SQLite.
CREATE INDEX media_by_duration ON media (duration_secs DESC NULLS LAST, id DESC);
CREATE INDEX media_by_size ON media (size_bytes, id);
CREATE INDEX media_by_kind_state ON media (kind, state);

CREATE EXTENSION IF NOT EXISTS unaccent;

-- Text as search sees it: no accents, lower case, words (letters and digits
-- in any script: the ICU collation makes [:alnum:] mean Unicode's, not the
-- database locale's) separated by single spaces. Both the stored vector and
-- every query go through it, so they always agree. unaccent is only STABLE
-- (its dictionary could change); naming the dictionary makes this safe to
-- index, the usual way of using it in an index.
CREATE FUNCTION reel_search_words(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN trim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, $1))
                           COLLATE "und-x-icu", '[^[:alnum:]]+', ' ', 'g'));

ALTER TABLE media ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig,
                reel_search_words(title || ' ' || original_filename || ' ' || description))
) STORED;
CREATE INDEX media_search ON media USING gin (search);
