-- Orleans grain state and reminders in the embedded file, read and written by Orleans' ADO.NET
-- providers (Microsoft.Orleans.Persistence.AdoNet, Microsoft.Orleans.Reminders.AdoNet) through the
-- statements stored in OrleansQuery below.
--
-- Parameters are bound by the providers under fixed names (@ServiceId, @GrainId, ...). Every
-- statement runs in autocommit on a pooled connection with a 30 s busy timeout, so each one is
-- its own short transaction next to the session journal's group-committing writer.

-- The providers read their statements from this table at start-up with
-- "SELECT QueryKey, QueryText FROM OrleansQuery": the table and column names are theirs, hence the
-- only names in this schema that are not snake_case.
CREATE TABLE OrleansQuery (
    QueryKey  TEXT PRIMARY KEY,
    QueryText TEXT NOT NULL
) WITHOUT ROWID;

-- One row per grain state. The provider identifies a state by service, state name and the grain key
-- split into two integers (integer and Guid keys) and a string (string key or key extension).
-- AgentGrains' storage decorator (GrainIdentityScopedStorage) passes the whole grain id as the string,
-- because the provider alone would mix up grains of different types that share a key.
-- A rowid table, not WITHOUT ROWID: payloads can run to kilobytes, and SQLite keeps large rows
-- better in a rowid table; the primary key becomes the unique index every statement seeks.
CREATE TABLE orleans_grain_state (
    service_id      TEXT NOT NULL,
    state_name      TEXT NOT NULL,
    grain_id_n0     INTEGER NOT NULL,
    grain_id_n1     INTEGER NOT NULL,
    -- '' when the key has no string part: NULL would make the primary key unable to tell rows apart.
    grain_id_string TEXT NOT NULL,
    -- The ETag Orleans holds: every write and clear moves it on, a write names the one it read.
    version         INTEGER NOT NULL,
    -- NULL after ClearStateAsync: the row and its version stay, so a stale writer is still refused.
    payload         BLOB,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (service_id, state_name, grain_id_n0, grain_id_n1, grain_id_string)
);

-- One row per reminder. grain_hash is GrainId.GetUniformHashCode() cast to a signed 32-bit integer
-- (the provider's mapping); the reminder service asks for ranges of it on the consistent ring.
-- start_time is the provider's DateTime text in UTC; period_ms is milliseconds.
CREATE TABLE orleans_reminders (
    service_id    TEXT NOT NULL,
    grain_id      TEXT NOT NULL,
    reminder_name TEXT NOT NULL,
    grain_hash    INTEGER NOT NULL,
    start_time    TEXT NOT NULL,
    period_ms     INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
) WITHOUT ROWID;

-- Every silo reads its share of the ring when it starts and at each refresh; without this index
-- that read scans every reminder of every service in the file.
CREATE INDEX orleans_reminders_ring ON orleans_reminders (service_id, grain_hash);

-- Grain state -------------------------------------------------------------------------------------

-- At most one row: the payload (NULL once cleared) and the version to hold as the ETag.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, version AS Version
FROM orleans_grain_state
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_string = IFNULL(@GrainIdExtensionString, '''');
');

-- The provider accepts a write only when it gets back one NewGrainStateVersion that is not the
-- version it held; no row is a refusal (an InconsistentStateException). So:
--  * a held version: the UPDATE moves exactly that version on and returns the new one, or returns
--    nothing when the row has moved on or gone;
--  * no version held (a first write): the INSERT adds the row at version 1, or returns nothing when
--    a row already exists (another activation wrote first).
-- Each statement is atomic on its own and at most one of them changes anything, so the two need no
-- enclosing transaction. Versions wrap before 2^31 because the provider parses them as int.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', '
UPDATE orleans_grain_state
SET payload = @PayloadBinary,
    version = version % 2147483647 + 1,
    updated_at = CAST(unixepoch(''subsec'') * 1000 AS INTEGER)
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_string = IFNULL(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
RETURNING version AS NewGrainStateVersion;

INSERT INTO orleans_grain_state (service_id, state_name, grain_id_n0, grain_id_n1, grain_id_string, version, payload, updated_at)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, IFNULL(@GrainIdExtensionString, ''''), 1, @PayloadBinary,
       CAST(unixepoch(''subsec'') * 1000 AS INTEGER)
WHERE @GrainStateVersion IS NULL
ON CONFLICT DO NOTHING
RETURNING version AS NewGrainStateVersion;
');

-- Keeps the row and moves its version on, so an activation still holding the old version is refused
-- afterwards. Returns nothing when the held version is stale (refused).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', '
UPDATE orleans_grain_state
SET payload = NULL,
    version = version % 2147483647 + 1,
    updated_at = CAST(unixepoch(''subsec'') * 1000 AS INTEGER)
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_string = IFNULL(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
RETURNING version AS NewGrainStateVersion;
');

-- Reminders ---------------------------------------------------------------------------------------

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowsKey', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId;
');

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowKey', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName;
');

-- The ring range (begin, end] in hash order. The provider passes both bounds as signed integers and
-- picks this statement when begin < end as signed numbers: casting to signed turns the ring, so a
-- range that is one interval in signed order stays one interval here...
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows1Key', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash;
');

-- ...and this one otherwise: the range wraps past the largest signed value, and begin = end is the
-- whole ring.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows2Key', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM orleans_reminders
WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash);
');

-- Returns the row's new version, which is its ETag. A new row starts at a random version rather than
-- at 1: a reminder removed and registered again must not get back the ETag an old handle still holds,
-- or removing through that stale handle would delete the new registration. Versions wrap before 2^31
-- because the provider parses them as int.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpsertReminderRowKey', '
INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, grain_hash, start_time, period_ms, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @GrainHash, @StartTime, @Period, abs(random() % 1000000000) + 1)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
SET grain_hash = excluded.grain_hash,
    start_time = excluded.start_time,
    period_ms = excluded.period_ms,
    version = orleans_reminders.version % 2147483647 + 1
RETURNING version AS Version;
');

-- The provider reads exactly one row with one column: whether the row with that ETag was removed.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowKey', '
DELETE FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName AND version = @Version;

SELECT changes() > 0;
');

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowsKey', '
DELETE FROM orleans_reminders WHERE service_id = @ServiceId;
');
