-- {schema} is replaced with the configured schema, quoted, before the script runs; the migrator
-- has created the schema and holds the migration advisory lock (one script, one transaction).
--
-- Payloads (state, log entries, call arguments, results, errors) are text, not jsonb. The runtime
-- writes them as JSON and reads them back verbatim: it compares stored arguments byte for byte to
-- refuse an idempotency key reused with other arguments, and jsonb would rewrite them (spacing,
-- key order, duplicate keys). jsonb would also parse every payload on the write path, for queries
-- nothing runs. Times are timestamptz (UTC).

-- Ownership epochs come from one sequence, so an epoch is never reused, even after the activation
-- row is deleted on release: a stale owner can never match a new claim. nextval takes no row lock
-- (concurrent claims never queue on a counter row) and is not rolled back, so a failed claim leaves
-- a harmless gap.
CREATE SEQUENCE {schema}.epochs AS bigint;

-- Who runs each active grain, and under which epoch; every commit checks it (and share-locks the
-- row, so a takeover waits for a commit already checked under the old epoch).
CREATE TABLE {schema}.activations (
    grain_id     text PRIMARY KEY,
    silo_id      text NOT NULL,
    epoch        bigint NOT NULL,
    activated_at timestamptz NOT NULL
);

-- Small, versioned grain state (one row per grain and state name).
CREATE TABLE {schema}.grain_state (
    grain_id   text NOT NULL,
    name       text NOT NULL,
    version    bigint NOT NULL,
    payload    text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (grain_id, name)
);

-- Append-only logs (conversation history, journals): a turn inserts only its new rows; the primary
-- key answers the count (max(seq) + 1) and range reads without scans.
CREATE TABLE {schema}.grain_log (
    grain_id   text NOT NULL,
    stream     text NOT NULL,
    seq        bigint NOT NULL,
    payload    text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (grain_id, stream, seq)
);

-- The durable inbox. Identity ids are drawn at insert; a grain's messages are inserted by one
-- writer in call order, so its ids increase in the order the calls were made. reply_to is the silo
-- (or client) to tell when the message completes; null for a call made inside the silo that runs it.
CREATE TABLE {schema}.inbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grain_id        text NOT NULL,
    idempotency_key text NOT NULL,
    method          text NOT NULL,
    arguments       text NOT NULL,
    traceparent     text,
    status          smallint NOT NULL DEFAULT 0,
    result          text,
    error           text,
    created_at      timestamptz NOT NULL,
    completed_at    timestamptz,
    reply_to        text
);

-- Deduplication: one message per grain and idempotency key, for ever.
CREATE UNIQUE INDEX inbox_grain_key ON {schema}.inbox (grain_id, idempotency_key);

-- Recovery reads only what is pending; the partial index stays as small as the backlog.
CREATE INDEX inbox_pending ON {schema}.inbox (grain_id, id) WHERE status = 0;

-- Fails the statement (and so the write) when a write's condition does not hold: epoch, state
-- version, message still pending. A conditional UPDATE alone would only report zero rows, and by
-- then the rest of the write would already be in the transaction; raising lets the provider send a
-- whole group commit as one round trip and still undo exactly the write whose condition failed.
-- SQLSTATE AG001 is this project's own class, so it can never be mistaken for a server error.
CREATE FUNCTION {schema}.ensure(condition boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF condition IS NOT TRUE THEN
        RAISE EXCEPTION 'agentgrains: write condition failed' USING ERRCODE = 'AG001';
    END IF;
    RETURN true;
END
$$;
