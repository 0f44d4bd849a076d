using Npgsql;
using NpgsqlTypes;

namespace AgentGrains.Storage.Journal.Postgres;

/// <summary>Positional parameters (<c>$1</c>, <c>$2</c>...), typed so that arrays need no inference and plans stay stable.</summary>
internal static class PostgresParameters
{
    public static NpgsqlParameterCollection Text(this NpgsqlParameterCollection parameters, string value)
    {
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = value });
        return parameters;
    }

    public static NpgsqlParameterCollection NullableText(this NpgsqlParameterCollection parameters, string? value)
    {
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value });
        return parameters;
    }

    public static NpgsqlParameterCollection Bigint(this NpgsqlParameterCollection parameters, long value)
    {
        parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = value });
        return parameters;
    }

    public static NpgsqlParameterCollection Timestamp(this NpgsqlParameterCollection parameters, DateTimeOffset value)
    {
        // Npgsql writes timestamptz only from UTC values.
        parameters.Add(new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = value.ToUniversalTime() });
        return parameters;
    }

    public static NpgsqlParameterCollection TextArray(this NpgsqlParameterCollection parameters, string[] values)
    {
        parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values });
        return parameters;
    }

    public static NpgsqlParameterCollection BigintArray(this NpgsqlParameterCollection parameters, long[] values)
    {
        parameters.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = values });
        return parameters;
    }
}
