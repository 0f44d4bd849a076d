-- Long-term memory (IMemoryStore): the facts each user's agents were told to remember, across
-- sessions, in the journal's file. A fact is written once and never changed; it is only deleted.
--
-- AUTOINCREMENT, unlike a plain INTEGER PRIMARY KEY, never hands out the id of a deleted row again:
-- an id a caller still holds (a page cursor, a delete sent again) can never name a newer fact, and
-- ids keep increasing with time as on PostgreSQL. It costs one row update in sqlite_sequence per
-- insert, and facts are written one per remember call, not per step.
--
-- UNIQUE (user_id, key) is the deduplication: key is the remember call's idempotency key, so the
-- call invoked again after a crash inserts nothing and reads the first fact back. Keys are per user,
-- like message keys per session. Times are milliseconds since 1970, as in the other tables; an
-- embedding, when there is one, is its float32 values little-endian, 4 bytes each.
CREATE TABLE memories (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    key        TEXT NOT NULL,
    fact       TEXT NOT NULL,
    session_id TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    step       INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    embedding  BLOB,
    UNIQUE (user_id, key)
);

-- A user's facts newest first (listing pages, the facts with embeddings): one range scan from the
-- cursor down this index. Every read and delete names the user, so nothing scans other users' rows.
CREATE INDEX memories_by_user ON memories (user_id, id DESC);

-- Full-text search over fact. External content: the index keeps only its tokens and reads the text
-- from memories by rowid, so no fact is stored twice. porter stems English words ("names" finds
-- "name"); unicode61 folds case and diacritics in any script.
CREATE VIRTUAL TABLE memories_fts USING fts5(
    fact,
    content = 'memories',
    content_rowid = 'id',
    tokenize = 'porter unicode61'
);

-- The triggers keep the index in step with the table inside the writing transaction, so a fact is
-- searchable once it is committed and unsearchable once it is deleted. An external-content index
-- is told the old text on delete: it removes exactly the tokens that text produced.
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, fact) VALUES (new.id, new.fact);
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, fact) VALUES ('delete', old.id, old.fact);
END;

-- Facts are never updated, so there is no update trigger; this one makes that a rule instead of a
-- habit: changing a fact's text (or id) would leave the index pointing at tokens the text no longer has.
CREATE TRIGGER memories_fact_unchanged BEFORE UPDATE OF id, fact ON memories BEGIN
    SELECT RAISE(ABORT, 'memories.fact is written once; delete the fact and remember a new one');
END;
