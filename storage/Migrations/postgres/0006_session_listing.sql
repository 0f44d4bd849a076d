-- Listing sessions (GET /v1/sessions): pages of session heads in session id order, optionally of one
-- agent, optionally without the sessions a run started for its specialists (ids containing '~').
--
-- label is the session's agent, written by the commit that creates the head and never changed.
-- A step's commit changes version, payload and updated_at only, so it stays a HOT update: none of
-- the indexes below is touched after the session's first commit.
ALTER TABLE {schema}.grain_state ADD COLUMN label text;

-- Heads written before this migration: their agent is in the state as the session grain wrote it
-- (camelCase JSON); the one place storage reads a payload, once. ->> of a JSON value that is not an
-- object is null: such a session is still listed, only not under an agent.
UPDATE {schema}.grain_state SET label = payload::jsonb ->> 'agent'
WHERE name = 'session' AND left(ltrim(payload), 1) = '{';

-- Keyset pages in byte order of the id, whatever the database's collation (the same order as on
-- SQLite, and no locale rule that could change under a page). Each index is partial on exactly the
-- terms the listing query writes, so a page is one range scan from the cursor that never skips rows
-- it will not return. Built without CONCURRENTLY (a migration is one transaction): writes of grain
-- state wait while they build, once.
CREATE INDEX grain_state_all_sessions ON {schema}.grain_state (grain_id COLLATE "C")
WHERE name = 'session';

CREATE INDEX grain_state_sessions ON {schema}.grain_state (grain_id COLLATE "C")
WHERE name = 'session' AND strpos(grain_id, '~') = 0;

CREATE INDEX grain_state_sessions_by_label ON {schema}.grain_state (label, grain_id COLLATE "C")
WHERE name = 'session';

CREATE INDEX grain_state_top_sessions_by_label ON {schema}.grain_state (label, grain_id COLLATE "C")
WHERE name = 'session' AND strpos(grain_id, '~') = 0;
