using Npgsql;
using NpgsqlTypes;

namespace AgentGrains.Runtime.Storage.Postgres;

/// <summary>Positional parameters (<c>$1</c>, <c>$2</c>...), typed so that nulls and arrays need no inference.</summary>
internal static class PostgresParameters
{
    public static NpgsqlParameterCollection Text(this NpgsqlParameterCollection parameters, string? value)
    {
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value });
        return parameters;
    }

    public static NpgsqlParameterCollection Bigint(this NpgsqlParameterCollection parameters, long value)
    {
        parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = value });
        return parameters;
    }

    public static NpgsqlParameterCollection Integer(this NpgsqlParameterCollection parameters, int value)
    {
        parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = value });
        return parameters;
    }

    public static NpgsqlParameterCollection Smallint(this NpgsqlParameterCollection parameters, short value)
    {
        parameters.Add(new NpgsqlParameter<short> { NpgsqlDbType = NpgsqlDbType.Smallint, TypedValue = value });
        return parameters;
    }

    public static NpgsqlParameterCollection Interval(this NpgsqlParameterCollection parameters, TimeSpan value)
    {
        parameters.Add(new NpgsqlParameter<TimeSpan> { NpgsqlDbType = NpgsqlDbType.Interval, TypedValue = value });
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

    public static NpgsqlParameterCollection TimestampArray(this NpgsqlParameterCollection parameters, DateTimeOffset[] values)
    {
        // Npgsql writes timestamptz only from UTC values.
        var utc = Array.ConvertAll(values, v => v.UtcDateTime);
        parameters.Add(new NpgsqlParameter<DateTime[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, TypedValue = utc });
        return parameters;
    }

    public static NpgsqlParameterCollection BigintArray(this NpgsqlParameterCollection parameters, long[] values)
    {
        parameters.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = values });
        return parameters;
    }
}
