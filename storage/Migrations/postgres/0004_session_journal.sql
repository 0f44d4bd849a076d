-- The session journal's idempotency records: one row per message a session accepted, inserted by
-- the commit that accepted it (its head and rows live in grain_state and grain_log, as before).
--
-- The primary key (grain_id, key) is the deduplication itself: a second record of a key is a
-- unique violation, which refuses the whole commit, so a message is never processed twice even by
-- two activations of one session racing on two silos. It also answers the one read there is (a
-- retry looking up its key) without a scan. Keys are per session, not global: the gateway's keys
-- come from clients, and two clients may pick the same one for different sessions.
--
-- No other index: nothing reads keys by time or across sessions, and each index costs every commit
-- another write. Rows are kept for ever, as the inbox's were: a retry may come at any time, and
-- dropping a key would let it run twice. request and outcome are text, stored verbatim (see 0001).
CREATE TABLE {schema}.message_keys (
    grain_id   text NOT NULL,
    key        text NOT NULL,
    request    text NOT NULL,
    outcome    text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (grain_id, key)
);
