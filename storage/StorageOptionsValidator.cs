using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentGrains.Storage;

/// <summary>Checks <see cref="StorageOptions"/> at start-up and says how to fix each problem.</summary>
/// <remarks>The connection string may hold a password: no message repeats it or any of its values.</remarks>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    private const string ConnectionStringKey = "ConnectionStrings:" + StorageOptions.ConnectionStringName;

    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Provider))
        {
            failures.Add($"Storage:Provider is '{options.Provider}'; set it to Sqlite or PostgreSQL.");
        }

        if (options.Provider == StorageProvider.Sqlite && string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add("Storage:Path is empty; set it to a writable file path such as data/agentgrains.db.");
        }

        if (options.Provider == StorageProvider.PostgreSQL)
        {
            ValidateConnectionString(options.ConnectionString, failures);
            if (!IsSafeSchemaName(options.Schema))
            {
                failures.Add(
                    $"Storage:Schema '{options.Schema}' is not a plain schema name; use lower-case letters, digits and underscores, " +
                    "starting with a letter or underscore, at most 63 characters and not starting with pg_ (default agentgrains).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Whether <paramref name="schema"/> can be used as a PostgreSQL identifier without any escaping.</summary>
    /// <remarks>
    /// The schema name is spliced into SQL text (identifiers cannot be parameters), so only names that
    /// need no escaping are accepted, lower-case so that quoted and unquoted spellings name the same schema.
    /// </remarks>
    public static bool IsSafeSchemaName(string? schema)
    {
        if (string.IsNullOrEmpty(schema) || schema.Length > 63 || schema.StartsWith("pg_", StringComparison.Ordinal) || char.IsAsciiDigit(schema[0]))
        {
            return false;
        }

        foreach (var c in schema)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    private static void ValidateConnectionString(string? connectionString, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            failures.Add($"{ConnectionStringKey} is empty; set it to a PostgreSQL connection string such as Host=localhost;Database=agentgrains;Username=agentgrains;Password=...");
            return;
        }

        var generic = new DbConnectionStringBuilder();
        try
        {
            generic.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            failures.Add($"{ConnectionStringKey} is malformed; write it as Keyword=value pairs separated by ';' (quote values that contain ';').");
            return;
        }

        // Each keyword on its own, so the message names the bad keyword and never a value.
        var npgsql = new NpgsqlConnectionStringBuilder();
        foreach (string keyword in generic.Keys)
        {
            try
            {
                npgsql[keyword] = generic[keyword];
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                failures.Add($"{ConnectionStringKey} has an unknown keyword or an invalid value for '{keyword}'; fix or remove it (see Npgsql's connection string parameters).");
            }
        }

        if (string.IsNullOrWhiteSpace(npgsql.Host))
        {
            failures.Add($"{ConnectionStringKey} names no server; add Host=<name or address of the PostgreSQL server>.");
        }
    }
}
