-- The tables of Orleans' ADO.NET providers (Microsoft.Orleans.Clustering.AdoNet, .Persistence.AdoNet,
-- .Reminders.AdoNet) and the statements they run, written to the providers' contract as read from
-- their 10.4.2 code:
--
-- * Each provider loads its statements once, at start-up, with the fixed text
--   `SELECT QueryKey, QueryText FROM OrleansQuery`, found through the connection's search_path
--   (the hosting sets it to this schema). It fails to start if a key it requires is missing.
-- * A statement receives named parameters (@DeploymentId, @GrainIdHash, ...; Npgsql sends them typed:
--   text, integer, bigint, bytea, timestamptz for UTC times) and is read back by column name, matched
--   case-insensitively; the aliases below are quoted in the providers' spelling so the match is exact.
-- * Success is signalled by value, never by an error: a single 0/1 column (membership and reminder
--   writes), or a new version that differs from the caller's ETag (grain state writes). Versions are
--   ETags the providers parse as 32-bit integers.
--
-- Only the query table's name and columns are fixed by the providers. Everything else is this
-- project's naming, and every statement names the schema ({schema}), so nothing but that one SELECT
-- depends on search_path. A later migration that changes a statement updates its row here.

-- Versions are ETags parsed as int32 by the providers: a hot grain writing 1,000 times a second would
-- overflow in under 25 days, so versions wrap to 1 instead. Only equality with the caller's ETag
-- matters, and a wrapped version cannot match an ETag 2^31 writes old. (SQL, immutable: inlined.)
CREATE FUNCTION {schema}.orleans_next_version(current_version integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN current_version >= 2147483647 THEN 1 ELSE current_version + 1 END $$;

-- Name and columns fixed by the providers (unquoted OrleansQuery, QueryKey, QueryText fold to these).
CREATE TABLE {schema}.orleansquery (
    querykey  text PRIMARY KEY,
    querytext text NOT NULL
);

---------------------------------------------------------------------------------------------------
-- Membership (keyed by ClusterId, which the provider calls DeploymentId).
---------------------------------------------------------------------------------------------------

-- One row per cluster: the table version every membership change must name and advance, so two silos
-- changing the table from the same view cannot both succeed (Orleans re-reads and retries the loser).
CREATE TABLE {schema}.orleans_membership_version (
    cluster_id text PRIMARY KEY,
    version    integer NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- One row per silo incarnation (address, port, generation). Times are the silos' own (UTC), as Orleans
-- compares them with its clock; status is Orleans' SiloStatus (3 Active, 6 Dead); suspect_times is
-- Orleans' own "silo,time|silo,time" text, stored verbatim. Deleting a cluster's version row deletes
-- its silos.
CREATE TABLE {schema}.orleans_membership (
    cluster_id      text NOT NULL REFERENCES {schema}.orleans_membership_version (cluster_id) ON DELETE CASCADE,
    address         text NOT NULL,
    port            integer NOT NULL,
    generation      integer NOT NULL,
    silo_name       text NOT NULL,
    host_name       text NOT NULL,
    status          integer NOT NULL,
    proxy_port      integer NOT NULL,
    suspect_times   text,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (cluster_id, address, port, generation)
);

-- Adds a silo's row and advances the table version, both or neither. The version row is locked at the
-- version the caller read: a concurrent change that got there first makes this find nothing (READ
-- COMMITTED re-checks the condition after the lock wait) and return 0 with nothing written.
CREATE FUNCTION {schema}.orleans_membership_insert(
    p_cluster_id text, p_address text, p_port integer, p_generation integer, p_silo_name text,
    p_host_name text, p_status integer, p_proxy_port integer, p_start_time timestamptz,
    p_i_am_alive_time timestamptz, p_expected_version integer)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM {schema}.orleans_membership_version
     WHERE cluster_id = p_cluster_id AND version = p_expected_version
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    INSERT INTO {schema}.orleans_membership
        (cluster_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive_time)
    VALUES
        (p_cluster_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port, p_start_time, p_i_am_alive_time)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE {schema}.orleans_membership_version
       SET version = {schema}.orleans_next_version(version), changed_at = now()
     WHERE cluster_id = p_cluster_id;
    RETURN 1;
END
$$;

-- Changes a silo's status and suspicions and advances the table version, both or neither (same
-- locking as the insert); 0 when the version moved on or the silo has no row.
CREATE FUNCTION {schema}.orleans_membership_update(
    p_cluster_id text, p_address text, p_port integer, p_generation integer, p_status integer,
    p_suspect_times text, p_i_am_alive_time timestamptz, p_expected_version integer)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM {schema}.orleans_membership_version
     WHERE cluster_id = p_cluster_id AND version = p_expected_version
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE {schema}.orleans_membership
       SET status = p_status, suspect_times = p_suspect_times, i_am_alive_time = p_i_am_alive_time
     WHERE cluster_id = p_cluster_id AND address = p_address AND port = p_port AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE {schema}.orleans_membership_version
       SET version = {schema}.orleans_next_version(version), changed_at = now()
     WHERE cluster_id = p_cluster_id;
    RETURN 1;
END
$$;

INSERT INTO {schema}.orleansquery (querykey, querytext) VALUES
-- Every silo runs this at start; concurrent starters all succeed, one of them creating the row.
-- Returns 1 if it created the row.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO {schema}.orleans_membership_version (cluster_id) VALUES (@DeploymentId)
    ON CONFLICT (cluster_id) DO NOTHING
    RETURNING 1)
SELECT count(*)::integer FROM created
$q$),
('InsertMembershipKey', $q$
SELECT {schema}.orleans_membership_insert(@DeploymentId, @Address, @Port, @Generation, @SiloName,
    @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version)
$q$),
('UpdateMembershipKey', $q$
SELECT {schema}.orleans_membership_update(@DeploymentId, @Address, @Port, @Generation, @Status,
    @SuspectTimes, @IAmAliveTime, @Version)
$q$),
-- The heartbeat: deliberately leaves the table version alone, so heartbeats never make a concurrent
-- membership change fail.
('UpdateIAmAlivetimeKey', $q$
UPDATE {schema}.orleans_membership
   SET i_am_alive_time = @IAmAliveTime
 WHERE cluster_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),
-- Both reads return the version with the rows, from one snapshot, and at least one row (the version
-- row, with null silo columns when no silo matches): the provider takes the version from the first row
-- and skips rows without a start time.
('MembershipReadAllKey', $q$
SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status",
       m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime",
       m.i_am_alive_time AS "IAmAliveTime"
  FROM {schema}.orleans_membership_version v
  LEFT JOIN {schema}.orleans_membership m ON m.cluster_id = v.cluster_id
 WHERE v.cluster_id = @DeploymentId
$q$),
('MembershipReadRowKey', $q$
SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status",
       m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime",
       m.i_am_alive_time AS "IAmAliveTime"
  FROM {schema}.orleans_membership_version v
  LEFT JOIN {schema}.orleans_membership m
    ON m.cluster_id = v.cluster_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
 WHERE v.cluster_id = @DeploymentId
$q$),
-- What clients connect to: active silos that opened a gateway (@Status is Active).
('GatewaysQueryKey', $q$
SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
  FROM {schema}.orleans_membership
 WHERE cluster_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM {schema}.orleans_membership_version WHERE cluster_id = @DeploymentId
$q$),
-- Removal of long-dead silos. The provider (10.4.2) prefers CleanupDefunctSiloEntryKey when present:
-- it reads the table, picks dead rows older than the cutoff with no recent suspicion, and deletes each
-- only if the row is still exactly what it read. The bulk key is required all the same, as a fallback
-- for older providers; both delete Dead rows only (a Joining or ShuttingDown row is not yet defunct).
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM {schema}.orleans_membership
 WHERE cluster_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
   AND status = 6
   AND start_time = @StartTime AND i_am_alive_time = @IAmAliveTime
   AND suspect_times IS NOT DISTINCT FROM @SuspectTimes
$q$),
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM {schema}.orleans_membership
 WHERE cluster_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status = 6
$q$);

---------------------------------------------------------------------------------------------------
-- Grain state (keyed by ServiceId).
---------------------------------------------------------------------------------------------------

-- One row per grain and state. The provider splits the grain id into two 64-bit halves (an integer key,
-- or a GUID's two halves; both 0 for a string key) and a text part (the string key, or the key
-- extension; null when there is none). A string key that parses as a GUID is stored as a GUID. What
-- the provider calls the grain type is the state's name (Orleans passes [PersistentState]'s name, not
-- the grain class), so two grain classes with the same key and state name share a row: give states
-- distinct names. payload is the serializer's bytes (System.Text.Json as configured by the hosting);
-- null once cleared, when rows are kept on clear.
CREATE TABLE {schema}.orleans_grain_state (
    service_id    text NOT NULL,
    grain_id_hash integer NOT NULL,
    state_name    text NOT NULL,
    grain_id_n0   bigint NOT NULL,
    grain_id_n1   bigint NOT NULL,
    grain_id_text text,
    version       integer NOT NULL,
    payload       bytea,
    modified_at   timestamptz NOT NULL DEFAULT now()
);

-- The identity of a row, enforced: two activations of one grain inserting its first state at once
-- cannot both succeed (the loser's insert does nothing and its write is refused). NULLS NOT DISTINCT
-- (PostgreSQL 15) because a missing text part is part of the identity. The grain id hash leads: every
-- lookup has it, and it is the column to distribute by should the table move to Citus.
CREATE UNIQUE INDEX orleans_grain_state_key ON {schema}.orleans_grain_state
    (grain_id_hash, service_id, state_name, grain_id_n0, grain_id_n1, grain_id_text) NULLS NOT DISTINCT;

INSERT INTO {schema}.orleansquery (querykey, querytext) VALUES
-- No row: PayloadBinary and Version are read as null, and the grain starts from a new state.
('ReadFromStorageKey', $q$
SELECT payload AS "PayloadBinary", version AS "Version"
  FROM {schema}.orleans_grain_state
 WHERE grain_id_hash = @GrainIdHash AND service_id = @ServiceId AND state_name = @GrainTypeString
   AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
   AND grain_id_text IS NOT DISTINCT FROM @GrainIdExtensionString
$q$),
-- A grain without an ETag inserts its first version; a grain with one replaces the row holding exactly
-- that version. Either way the new version comes back; no row back (or the caller's own ETag) is a
-- conflict, which the provider raises as InconsistentStateException. One statement, so a write is one
-- round trip and never half done.
('WriteToStorageKey', $q$
WITH inserted AS (
    INSERT INTO {schema}.orleans_grain_state
        (grain_id_hash, service_id, state_name, grain_id_n0, grain_id_n1, grain_id_text, version, payload)
    SELECT @GrainIdHash, @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString, 1, @PayloadBinary
     WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version),
updated AS (
    UPDATE {schema}.orleans_grain_state
       SET payload = @PayloadBinary, version = {schema}.orleans_next_version(version), modified_at = now()
     WHERE @GrainStateVersion IS NOT NULL
       AND grain_id_hash = @GrainIdHash AND service_id = @ServiceId AND state_name = @GrainTypeString
       AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
       AND grain_id_text IS NOT DISTINCT FROM @GrainIdExtensionString
       AND version = @GrainStateVersion
    RETURNING version)
SELECT version AS "NewGrainStateVersion" FROM inserted
UNION ALL
SELECT version FROM updated
$q$),
-- Clear keeping the row (the provider's default): the payload goes, the version advances. The provider
-- reads the first column; no row back is a conflict.
('ClearStorageKey', $q$
UPDATE {schema}.orleans_grain_state
   SET payload = NULL, version = {schema}.orleans_next_version(version), modified_at = now()
 WHERE grain_id_hash = @GrainIdHash AND service_id = @ServiceId AND state_name = @GrainTypeString
   AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
   AND grain_id_text IS NOT DISTINCT FROM @GrainIdExtensionString
   AND version = @GrainStateVersion
RETURNING version AS "NewGrainStateVersion"
$q$),
-- Clear deleting the row (DeleteStateOnClear, as the hosting configures it). The provider only checks
-- that the value returned differs from its ETag, then forgets the ETag.
('DeleteStorageKey', $q$
DELETE FROM {schema}.orleans_grain_state
 WHERE grain_id_hash = @GrainIdHash AND service_id = @ServiceId AND state_name = @GrainTypeString
   AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
   AND grain_id_text IS NOT DISTINCT FROM @GrainIdExtensionString
   AND version = @GrainStateVersion
RETURNING {schema}.orleans_next_version(version) AS "NewGrainStateVersion"
$q$);

---------------------------------------------------------------------------------------------------
-- Reminders (keyed by ServiceId).
---------------------------------------------------------------------------------------------------

-- One row per grain and reminder name. grain_hash is the grain id's uniform hash as a signed integer:
-- each silo's reminder service owns a range of the hash ring and reads only that range. grain_id is
-- Orleans' text form of the id (type/key). period_ms is milliseconds.
CREATE TABLE {schema}.orleans_reminders (
    service_id    text NOT NULL,
    grain_id      text NOT NULL,
    reminder_name text NOT NULL,
    grain_hash    integer NOT NULL,
    start_time    timestamptz NOT NULL,
    period_ms     bigint NOT NULL,
    version       integer NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

-- Every silo reads its ring range at start, whenever the ring changes (a silo joins or dies) and
-- every refresh period: the index keeps that a range scan, not a scan of every reminder.
CREATE INDEX orleans_reminders_ring ON {schema}.orleans_reminders (service_id, grain_hash);

INSERT INTO {schema}.orleansquery (querykey, querytext) VALUES
-- Registering again replaces the schedule; the new version is the reminder's ETag.
('UpsertReminderRowKey', $q$
INSERT INTO {schema}.orleans_reminders
    (service_id, grain_id, reminder_name, grain_hash, start_time, period_ms, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @GrainHash, @StartTime, @Period, 1)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
   SET grain_hash = EXCLUDED.grain_hash, start_time = EXCLUDED.start_time, period_ms = EXCLUDED.period_ms,
       version = {schema}.orleans_next_version(orleans_reminders.version)
RETURNING version AS "Version"
$q$),
('ReadReminderRowKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM {schema}.orleans_reminders
 WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
$q$),
('ReadReminderRowsKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM {schema}.orleans_reminders
 WHERE service_id = @ServiceId AND grain_id = @GrainId
$q$),
-- A ring range (begin, end]. The provider compares the bounds as signed integers, as they are stored,
-- and picks this key when begin < end ...
('ReadRangeRows1Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM {schema}.orleans_reminders
 WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash
$q$),
-- ... and this one when the range wraps past the largest value (begin >= end; begin = end is the whole
-- ring, a single silo's range).
('ReadRangeRows2Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM {schema}.orleans_reminders
 WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
$q$),
-- Removes the reminder only at the version the caller holds; 1 if it did.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM {schema}.orleans_reminders
     WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
       AND version = @Version
    RETURNING 1)
SELECT count(*)::integer FROM deleted
$q$),
('DeleteReminderRowsKey', $q$
DELETE FROM {schema}.orleans_reminders WHERE service_id = @ServiceId
$q$);
