-- Listing sessions (GET /v1/sessions): pages of session heads in session id order, optionally of one
-- agent, optionally without the sessions a run started for its specialists (ids containing '~').
--
-- label is the session's agent, written by the commit that creates the head and never changed, so
-- the indexes below are written once per session: a step's commit updates version, payload and
-- updated_at only, and SQLite updates no index whose columns a statement leaves alone.
ALTER TABLE grain_state ADD COLUMN label TEXT;

-- Heads written before this migration: their agent is in the state as the session grain wrote it
-- (camelCase JSON); the one place storage reads a payload, once. A payload that is not a JSON
-- object keeps a null label: the session is still listed, only not under an agent.
UPDATE grain_state SET label = json_extract(payload, '$.agent')
WHERE name = 'session' AND json_valid(payload);

-- Keyset pages: each index is partial on exactly the terms the listing query writes, so SQLite
-- matches it and reads a page as one range scan from the cursor, never skipping rows it will not
-- return. Listing every session, specialists included, is the primary key's own range scan.
CREATE INDEX grain_state_sessions ON grain_state (grain_id)
WHERE name = 'session' AND instr(grain_id, '~') = 0;

CREATE INDEX grain_state_sessions_by_label ON grain_state (label, grain_id)
WHERE name = 'session';

CREATE INDEX grain_state_top_sessions_by_label ON grain_state (label, grain_id)
WHERE name = 'session' AND instr(grain_id, '~') = 0;
