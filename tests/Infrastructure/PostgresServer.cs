using Npgsql;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>The PostgreSQL server the tests of this run share: <c>AGENTGRAINS_TEST_POSTGRES</c>, or a throwaway one.</summary>
/// <remarks>
/// <para>With <c>AGENTGRAINS_TEST_POSTGRES</c> set (a connection string; blank counts as unset) the
/// tests use that server. Otherwise the first test that needs PostgreSQL starts a
/// <see cref="TestPostgresServer"/>, stopped and deleted when the test process exits.</para>
/// <para>When neither works, every PostgreSQL test fails with the reason: a broken set-up never
/// passes as skipped tests.</para>
/// </remarks>
public sealed class PostgresServer
{
    private const string Variable = "AGENTGRAINS_TEST_POSTGRES";

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);

    private PostgresServer(string connectionString) => ConnectionString = connectionString;

    /// <summary>A connection string to the server's maintenance database, as a superuser.</summary>
    public string ConnectionString { get; }

    /// <summary>The server, started on first use.</summary>
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    private static async Task<PostgresServer> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            await CheckReachableAsync(configured, $"{Variable} is set, but its server cannot be reached");
            return new PostgresServer(configured);
        }

        if (TestPostgresServer.FindBinaries() is null)
        {
            throw new InvalidOperationException(
                $"PostgreSQL tests need a server: set {Variable} to a connection string, or install PostgreSQL " +
                "(apt-get install -y postgresql; test.sh does it) so the tests can start a throwaway one with initdb and pg_ctl.");
        }

        var server = await TestPostgresServer.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        await CheckReachableAsync(server.ConnectionString, "the throwaway PostgreSQL server started but does not answer");
        return new PostgresServer(server.ConnectionString);
    }

    private static async Task CheckReachableAsync(string connectionString, string failure)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or TimeoutException)
        {
            throw new InvalidOperationException($"{failure}: {ex.Message}", ex);
        }
    }
}
