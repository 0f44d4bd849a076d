-- Durable reminders: one row per grain and reminder name. Due times come from the registering
-- silo's clock, kept to whole milliseconds; period_ms 0 is a one-shot reminder.
CREATE TABLE {schema}.reminders (
    grain_id     text NOT NULL,
    name         text NOT NULL,
    first_due_at timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    period_ms    bigint NOT NULL,
    PRIMARY KEY (grain_id, name)
);

-- Every poll of every silo asks "what is due now?" (FOR UPDATE SKIP LOCKED, ordered by due time):
-- the index answers it without reading reminders not yet due.
CREATE INDEX reminders_due ON {schema}.reminders (due_at);
