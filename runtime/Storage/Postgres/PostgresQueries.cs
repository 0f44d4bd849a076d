namespace AgentGrains.Runtime.Storage.Postgres;

/// <summary>Every statement of the provider, with the schema spliced in once.</summary>
/// <remarks>
/// Identifiers cannot be parameters, so <c>{schema}</c> is replaced by the quoted schema name, which
/// <see cref="StorageOptionsValidator.IsSafeSchemaName"/> checked to need no escaping. Texts are built
/// once per store so the writers send identical strings (prepared once by Npgsql).
/// </remarks>
internal sealed class PostgresQueries(string schema)
{
    /// <summary>The inbox columns every message read returns, in <c>ReadInbox</c>'s order.</summary>
    private const string InboxColumns = "id, grain_id, idempotency_key, method, arguments, traceparent, status, result, error, reply_to";

    // ---- ownership ----

    /// <summary>Declares dead the silo a claim takes the grain from, if its heartbeat is past the death timeout.</summary>
    /// <remarks>
    /// In the claim's transaction: once a silo has lost a grain it must never come back as a live
    /// member, so a paused process that wakes up finds itself dead at its next heartbeat and stops.
    /// A silo that is not active itself claims nothing, so it buries nobody either.
    /// </remarks>
    public string BuryPreviousOwner { get; } = Splice(schema, """
        UPDATE {schema}.silos SET status = 'dead'
        WHERE status <> 'dead' AND heartbeat_at < now() - $3
          AND silo_id = (SELECT silo_id FROM {schema}.activations WHERE grain_id = $1 AND silo_id <> $2)
          AND NOT EXISTS (SELECT 1 FROM {schema}.silos WHERE silo_id = $2 AND status <> 'active')
        """);

    /// <summary>Claims unless a live other silo owns the grain or this silo is not active; returns the new epoch or nothing.</summary>
    /// <remarks>
    /// One statement, so two silos claiming at once cannot both win: the second waits on the row the
    /// first inserted or updated, then evaluates the DO UPDATE condition against it.
    /// </remarks>
    public string TryClaim { get; } = Splice(schema, """
        INSERT INTO {schema}.activations AS a (grain_id, silo_id, epoch, activated_at)
        SELECT $1, $2, nextval('{schema}.epochs'), now()
        WHERE NOT EXISTS (SELECT 1 FROM {schema}.silos WHERE silo_id = $2 AND status <> 'active')
        ON CONFLICT (grain_id) DO UPDATE SET silo_id = excluded.silo_id, epoch = excluded.epoch, activated_at = excluded.activated_at
        WHERE a.silo_id = excluded.silo_id OR NOT EXISTS (
            SELECT 1 FROM {schema}.silos s WHERE s.silo_id = a.silo_id AND s.status <> 'dead' AND s.heartbeat_at >= now() - $3)
        RETURNING epoch
        """);

    /// <summary>Why a claim did not happen: the live other owner, and this silo's own status.</summary>
    public string ClaimRefusal { get; } = Splice(schema, """
        SELECT (SELECT a.silo_id FROM {schema}.activations a JOIN {schema}.silos s ON s.silo_id = a.silo_id
                WHERE a.grain_id = $1 AND a.silo_id <> $2 AND s.status <> 'dead' AND s.heartbeat_at >= now() - $3),
               (SELECT status FROM {schema}.silos WHERE silo_id = $2)
        """);

    /// <summary>The live silo that owns a grain, if any.</summary>
    public string ReadOwner { get; } = Splice(schema, """
        SELECT a.silo_id FROM {schema}.activations a JOIN {schema}.silos s ON s.silo_id = a.silo_id
        WHERE a.grain_id = $1 AND s.status <> 'dead' AND s.heartbeat_at >= now() - $2
        """);

    public string Release { get; } = Splice(schema, "DELETE FROM {schema}.activations WHERE grain_id = $1 AND epoch = $2");

    // ---- inbox ----

    public string Enqueue { get; } = Splice(schema, """
        INSERT INTO {schema}.inbox (grain_id, idempotency_key, method, arguments, traceparent, created_at, reply_to)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (grain_id, idempotency_key) DO NOTHING
        """);

    public string SelectMessage { get; } = Splice(schema, $"SELECT {InboxColumns} FROM {{schema}}.inbox WHERE grain_id = $1 AND idempotency_key = $2");

    public string ReadPending { get; } = Splice(schema, $"SELECT {InboxColumns} FROM {{schema}}.inbox WHERE grain_id = $1 AND status = 0 ORDER BY id");

    public string ReadGrainsWithPending { get; } = Splice(schema, "SELECT DISTINCT grain_id FROM {schema}.inbox WHERE status = 0 LIMIT $1");

    // ---- turn commits ----

    /// <summary>Fails unless the grain is owned under the epoch; FOR SHARE makes a takeover (which updates the row) wait for this commit.</summary>
    /// <remarks>Without the lock, a write checked under the old epoch could commit after the new owner read the grain.</remarks>
    public string CheckEpoch { get; } = Splice(schema, "SELECT {schema}.ensure(EXISTS (SELECT 1 FROM {schema}.activations WHERE grain_id = $1 AND epoch = $2 FOR SHARE))");

    /// <summary>Inserts a state as new; a row already there is a unique violation.</summary>
    public string InsertState { get; } = Splice(schema, "INSERT INTO {schema}.grain_state (grain_id, name, version, payload, updated_at) VALUES ($1, $2, 1, $3, $4)");

    public string UpdateState { get; } = Splice(schema, """
        WITH changed AS (
            UPDATE {schema}.grain_state SET version = version + 1, payload = $4, updated_at = $5
            WHERE grain_id = $1 AND name = $2 AND version = $3 RETURNING 1)
        SELECT {schema}.ensure(EXISTS (SELECT 1 FROM changed))
        """);

    public string DeleteState { get; } = Splice(schema, """
        WITH gone AS (DELETE FROM {schema}.grain_state WHERE grain_id = $1 AND name = $2 AND version = $3 RETURNING 1)
        SELECT {schema}.ensure(EXISTS (SELECT 1 FROM gone))
        """);

    /// <summary>All of a turn's log entries in one statement, whatever their number.</summary>
    public string AppendLog { get; } = Splice(schema, """
        INSERT INTO {schema}.grain_log (grain_id, stream, seq, payload, created_at)
        SELECT $1, s, q, p, $5 FROM unnest($2::text[], $3::bigint[], $4::text[]) AS t(s, q, p)
        """);

    /// <summary>Completes a pending message of the grain.</summary>
    /// <remarks>
    /// grain_id is not redundant: with it both columns of <c>inbox_pending (grain_id, id)</c> bound the
    /// index scan. With id alone, a plan prepared while the inbox was small (a new schema) scans the
    /// whole pending index, dead entries included, on every completion (measured: 65 blocks a call).
    /// </remarks>
    public string CompleteMessage { get; } = Splice(schema, """
        WITH done AS (
            UPDATE {schema}.inbox SET status = $2, result = $3, error = $4, completed_at = $5
            WHERE id = $1 AND grain_id = $6 AND status = 0 RETURNING 1)
        SELECT {schema}.ensure(EXISTS (SELECT 1 FROM done))
        """);

    // ---- reads ----

    public string ReadState { get; } = Splice(schema, "SELECT version, payload FROM {schema}.grain_state WHERE grain_id = $1 AND name = $2");

    /// <summary>Sequences have no gaps, so the count is max + 1; the primary key answers it without a scan.</summary>
    public string ReadLogCount { get; } = Splice(schema, "SELECT COALESCE(MAX(seq) + 1, 0) FROM {schema}.grain_log WHERE grain_id = $1 AND stream = $2");

    public string ReadLog { get; } = Splice(schema, "SELECT payload FROM {schema}.grain_log WHERE grain_id = $1 AND stream = $2 AND seq >= $3 ORDER BY seq LIMIT $4");

    // ---- reminders ----

    /// <summary>Registers or replaces a reminder; its first tick is its new due time.</summary>
    public string UpsertReminder { get; } = Splice(schema, """
        INSERT INTO {schema}.reminders (grain_id, name, first_due_at, due_at, period_ms) VALUES ($1, $2, $3, $3, $4)
        ON CONFLICT (grain_id, name) DO UPDATE SET first_due_at = excluded.first_due_at, due_at = excluded.due_at, period_ms = excluded.period_ms
        """);

    public string DeleteReminder { get; } = Splice(schema, "DELETE FROM {schema}.reminders WHERE grain_id = $1 AND name = $2");

    public string ReadReminder { get; } = Splice(schema, "SELECT grain_id, name, first_due_at, due_at, period_ms FROM {schema}.reminders WHERE grain_id = $1 AND name = $2");

    /// <summary>Locks a batch of due reminders; SKIP LOCKED lets silos polling at once take different rows instead of queueing on each other's.</summary>
    /// <remarks>A row another poll just advanced is re-checked against <c>due_at &lt;= $1</c> after its lock is released, so it is not fired twice.</remarks>
    public string ClaimDueReminders { get; } = Splice(schema, """
        SELECT grain_id, name, first_due_at, due_at, period_ms FROM {schema}.reminders
        WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
        """);

    /// <summary>The ticks of one poll as inbox messages, in one statement; a tick already there (same key) is left alone.</summary>
    public string EnqueueTicks { get; } = Splice(schema, """
        INSERT INTO {schema}.inbox (grain_id, idempotency_key, method, arguments, created_at)
        SELECT g, k, $4, a, $5 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(g, k, a)
        ON CONFLICT (grain_id, idempotency_key) DO NOTHING
        """);

    public string AdvanceReminders { get; } = Splice(schema, """
        UPDATE {schema}.reminders r SET due_at = t.d
        FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS t(g, n, d)
        WHERE r.grain_id = t.g AND r.name = t.n
        """);

    public string DeleteReminders { get; } = Splice(schema, """
        DELETE FROM {schema}.reminders r USING unnest($1::text[], $2::text[]) AS t(g, n)
        WHERE r.grain_id = t.g AND r.name = t.n
        """);

    // ---- membership ----

    public string Register { get; } = Splice(schema, """
        INSERT INTO {schema}.silos (silo_id, address, started_at, heartbeat_at, status, activations)
        VALUES ($1, $2, now(), now(), 'active', 0)
        ON CONFLICT (silo_id) DO UPDATE SET address = excluded.address, heartbeat_at = excluded.heartbeat_at, status = 'active'
        """);

    /// <summary>Two live processes cannot serve one address, so an older silo registered there is a previous incarnation that died.</summary>
    public string RetirePrevious { get; } = Splice(schema, "UPDATE {schema}.silos SET status = 'dead' WHERE address = $2 AND silo_id <> $1 AND status <> 'dead'");

    public string Heartbeat { get; } = Splice(schema, "UPDATE {schema}.silos SET heartbeat_at = now(), activations = $2 WHERE silo_id = $1 AND status <> 'dead'");

    public string SetStatus { get; } = Splice(schema, "UPDATE {schema}.silos SET status = $2 WHERE silo_id = $1");

    public string DeclareDead { get; } = Splice(schema, "UPDATE {schema}.silos SET status = 'dead' WHERE status <> 'dead' AND heartbeat_at < now() - $1 RETURNING silo_id");

    public string ReadSilos { get; } = Splice(schema, """
        SELECT silo_id, address, started_at, heartbeat_at, activations,
               CASE WHEN status <> 'dead' AND heartbeat_at < now() - $1 THEN 'dead' ELSE status END
        FROM {schema}.silos ORDER BY started_at, silo_id
        """);

    /// <summary>Replaces <c>{schema}</c> in a migration script or statement with the quoted schema name.</summary>
    public static string Splice(string schema, string sql) => sql.Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal);
}
