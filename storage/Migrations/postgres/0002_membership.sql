-- Cluster membership. Times are the database's clock (now()), never a silo's, so deciding that a
-- silo is dead never depends on two machines' clocks agreeing.
CREATE TABLE {schema}.silos (
    silo_id      text PRIMARY KEY,
    address      text NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    status       text NOT NULL,
    activations  integer NOT NULL DEFAULT 0
);
