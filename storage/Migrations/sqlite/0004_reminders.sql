-- Durable reminders: one row per grain and reminder name. Times are milliseconds since 1970 from
-- the registering silo's clock; period_ms 0 is a one-shot reminder.
CREATE TABLE reminders (
    grain_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    first_due_at INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    period_ms    INTEGER NOT NULL,
    PRIMARY KEY (grain_id, name)
) WITHOUT ROWID;

-- Every poll asks "what is due now?": the index answers it without reading reminders not yet due.
CREATE INDEX reminders_due ON reminders (due_at);
