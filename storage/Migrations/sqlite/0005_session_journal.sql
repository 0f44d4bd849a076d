-- The session journal's idempotency records: one row per message a session accepted, inserted by
-- the commit that accepted it (its head and rows live in grain_state and grain_log, as before).
--
-- The primary key (grain_id, key) is the deduplication itself: a second record of a key refuses
-- the whole commit, so a message is never processed twice. It also answers the one read there is
-- (a retry looking up its key) without a scan. Keys are per session, not global: the gateway's keys
-- come from clients, and two clients may pick the same one for different sessions.
--
-- No other index: nothing reads keys by time or across sessions, and each index costs every commit
-- another write. Rows are kept for ever, as the inbox's were: a retry may come at any time, and
-- dropping a key would let it run twice. Times are milliseconds since 1970, as in the other tables.
CREATE TABLE message_keys (
    grain_id   TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (grain_id, key)
) WITHOUT ROWID;
