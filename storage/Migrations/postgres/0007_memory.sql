-- Long-term memory (IMemoryStore): the facts each user's agents were told to remember, across
-- sessions, in the journal's schema. A fact is written once and never changed; it is only deleted.
--
-- An identity column never hands out the id of a deleted row again: an id a caller still holds (a
-- page cursor, a delete sent again) can never name a newer fact.
--
-- UNIQUE (user_id, key) is the deduplication: key is the remember call's idempotency key, so the
-- call invoked again after a crash (or racing itself on two silos) inserts nothing and reads the
-- first fact back. Keys are per user, like message keys per session. Times are timestamptz, as in
-- the journal's tables.
--
-- embedding is real[]: float4 is exactly the float32 the caller holds and Npgsql sends it in binary,
-- so values round-trip bit for bit with no encoding of our own; an array stays readable in psql and
-- its length checkable in SQL, which an opaque bytea would not be.
--
-- fact_search is generated from fact by the server on insert, so it can never disagree with the
-- text: the 'english' configuration stems words ("names" finds "name") and drops stop words.
CREATE TABLE {schema}.memories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     text NOT NULL,
    key         text NOT NULL,
    fact        text NOT NULL,
    session_id  text NOT NULL,
    run_id      text NOT NULL,
    step        integer NOT NULL,
    created_at  timestamptz NOT NULL,
    embedding   real[],
    fact_search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, fact)) STORED,
    UNIQUE (user_id, key)
);

-- A user's facts newest first (listing pages, the facts with embeddings): one range scan from the
-- cursor down this index. Every read and delete names the user, so nothing scans other users' rows.
CREATE INDEX memories_by_user ON {schema}.memories (user_id, id DESC);

-- Full-text search: the GIN index finds the facts holding any of a query's lexemes. fastupdate is
-- off: with it on, new entries wait in a pending list that every search scans in full until a vacuum
-- merges it (up to 4 MB: a millisecond per search). Facts are read at every run of an agent with
-- memory and written only by remember, so the write pays for the index and the reads do not.
CREATE INDEX memories_search ON {schema}.memories USING gin (fact_search) WITH (fastupdate = off);
