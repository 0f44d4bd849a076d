-- Ownership epochs come from one counter so an epoch is never reused, even after the
-- activation row is deleted on release; a stale owner can therefore never match a new claim.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('epoch', 0);

-- Who runs each active grain, and under which epoch; every commit checks it.
CREATE TABLE activations (
    grain_id     TEXT PRIMARY KEY,
    silo_id      TEXT NOT NULL,
    epoch        INTEGER NOT NULL,
    activated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Small, versioned grain state (one row per grain and state name).
CREATE TABLE grain_state (
    grain_id   TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    payload    TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (grain_id, name)
) WITHOUT ROWID;

-- Append-only logs (conversation history, journals): a turn inserts only its new rows.
CREATE TABLE grain_log (
    grain_id   TEXT NOT NULL,
    stream     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (grain_id, stream, seq)
) WITHOUT ROWID;

-- The durable inbox. AUTOINCREMENT keeps ids increasing in commit order (single writer).
CREATE TABLE inbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    grain_id        TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    method          TEXT NOT NULL,
    arguments       TEXT NOT NULL,
    traceparent     TEXT,
    status          INTEGER NOT NULL DEFAULT 0,
    result          TEXT,
    error           TEXT,
    created_at      INTEGER NOT NULL,
    completed_at    INTEGER
);

-- Deduplication: one message per grain and idempotency key, for ever.
CREATE UNIQUE INDEX inbox_grain_key ON inbox (grain_id, idempotency_key);

-- Recovery reads only what is pending; the partial index stays as small as the backlog.
CREATE INDEX inbox_pending ON inbox (grain_id, id) WHERE status = 0;
