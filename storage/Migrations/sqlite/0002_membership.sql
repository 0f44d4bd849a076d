-- Cluster membership. Times are the database's clock (milliseconds since 1970), never a
-- silo's, so deciding that a silo is dead never depends on two machines' clocks agreeing.
CREATE TABLE silos (
    silo_id      TEXT PRIMARY KEY,
    address      TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    status       TEXT NOT NULL,
    activations  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
