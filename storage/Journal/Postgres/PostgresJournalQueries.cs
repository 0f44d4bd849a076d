using AgentGrains.Storage.Migrations;

namespace AgentGrains.Storage.Journal.Postgres;

/// <summary>Every statement of the PostgreSQL journal, with the schema spliced in once.</summary>
/// <remarks>
/// Identifiers cannot be parameters, so <c>{schema}</c> is replaced by the quoted schema name, which
/// <see cref="StorageOptionsValidator.IsSafeSchemaName"/> checked to need no escaping. Texts are
/// built once per journal so the writer sends identical strings, which Npgsql prepares once per
/// connection (auto-prepare).
/// </remarks>
internal sealed class PostgresJournalQueries(string schema)
{
    /// <summary>The head and the length of each stream in <c>$2</c>, from one statement and so one snapshot.</summary>
    /// <remarks>
    /// The head's row has a null stream. Positions have no gaps, so a stream's length is its last
    /// position + 1, found by one step down the primary key (grain_id, stream, seq) from its end:
    /// the cost stays the same however long the session grows.
    /// </remarks>
    public string Load { get; } = PostgresMigrator.Splice(schema, $$"""
        SELECT NULL::text, version, payload FROM {schema}.grain_state WHERE grain_id = $1 AND name = '{{JournalLayout.HeadName}}'
        UNION ALL
        SELECT s.stream,
               COALESCE((SELECT l.seq + 1 FROM {schema}.grain_log l
                         WHERE l.grain_id = $1 AND l.stream = s.stream ORDER BY l.seq DESC LIMIT 1), 0),
               NULL
        FROM unnest($2::text[]) AS s(stream)
        """);

    public string ReadRows { get; } = PostgresMigrator.Splice(schema, """
        SELECT payload FROM {schema}.grain_log WHERE grain_id = $1 AND stream = $2 AND seq >= $3 ORDER BY seq LIMIT $4
        """);

    /// <summary>A page of every session head after <c>$1</c>: <c>$2</c> rows.</summary>
    /// <remarks>
    /// Ids compare in byte order (<c>COLLATE "C"</c>), as the partial indexes of migration 0006 are
    /// built, whatever the database's collation; the terms match those indexes' predicates, so a page
    /// is one range scan from the cursor.
    /// </remarks>
    public string ListSessions { get; } = List(schema, derived: true, label: false);

    /// <summary>As <see cref="ListSessions"/>, without derived sessions.</summary>
    public string ListTopSessions { get; } = List(schema, derived: false, label: false);

    /// <summary>As <see cref="ListSessions"/>, only those labelled <c>$3</c>.</summary>
    public string ListLabel { get; } = List(schema, derived: true, label: true);

    /// <summary>As <see cref="ListLabel"/>, without derived sessions.</summary>
    public string ListTopLabel { get; } = List(schema, derived: false, label: true);

    public string FindMessage { get; } = PostgresMigrator.Splice(schema, "SELECT request, outcome FROM {schema}.message_keys WHERE grain_id = $1 AND key = $2");

    /// <summary>A first commit: the head at version 1, with its label; a head already there is a unique violation.</summary>
    public string InsertHead { get; } = PostgresMigrator.Splice(schema, $$"""
        INSERT INTO {schema}.grain_state (grain_id, name, version, payload, updated_at, label) VALUES ($1, '{{JournalLayout.HeadName}}', 1, $2, $3, $4)
        """);

    /// <summary>The fence: moves the head on only from the version the writer read, else raises (<c>ensure</c>, AG001).</summary>
    /// <remarks>
    /// A concurrent commit of the same session on another silo holds the row: this UPDATE waits for
    /// it, then re-reads the row, finds the version moved and raises; the two never both land.
    /// </remarks>
    public string AdvanceHead { get; } = PostgresMigrator.Splice(schema, $$"""
        WITH changed AS (
            UPDATE {schema}.grain_state SET version = version + 1, payload = $3, updated_at = $4
            WHERE grain_id = $1 AND name = '{{JournalLayout.HeadName}}' AND version = $2 RETURNING 1)
        SELECT {schema}.ensure(EXISTS (SELECT 1 FROM changed))
        """);

    /// <summary>All of a commit's rows in one statement, whatever their number; a taken position is a unique violation.</summary>
    public string AppendRows { get; } = PostgresMigrator.Splice(schema, """
        INSERT INTO {schema}.grain_log (grain_id, stream, seq, payload, created_at)
        SELECT $1, s, q, p, $5 FROM unnest($2::text[], $3::bigint[], $4::text[]) AS t(s, q, p)
        """);

    /// <summary>All of a commit's idempotency records in one statement; a key already recorded is a unique violation.</summary>
    public string RecordMessages { get; } = PostgresMigrator.Splice(schema, """
        INSERT INTO {schema}.message_keys (grain_id, key, request, outcome, created_at)
        SELECT $1, k, r, o, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS t(k, r, o)
        """);

    private static string List(string schema, bool derived, bool label) => PostgresMigrator.Splice(schema, $$"""
        SELECT grain_id, version, payload, label, updated_at FROM {schema}.grain_state
        WHERE name = '{{JournalLayout.HeadName}}'{{(derived ? "" : $" AND strpos(grain_id, '{JournalLayout.DerivedMark}') = 0")}}{{(label ? " AND label = $3" : "")}}
          AND grain_id COLLATE "C" > $1
        ORDER BY grain_id COLLATE "C" LIMIT $2
        """);
}
