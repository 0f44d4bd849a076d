using AgentGrains.Tests.Infrastructure;
using System.Globalization;
using AgentGrains.Grains.Memory;
using AgentGrains.Storage.Memory;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentGrains.Bench;

/// <summary>Long-term memory's recall (what a run of an agent with memory reads before its first step) on SQLite and PostgreSQL, next to a primary-key read of the same table.</summary>
/// <remarks>
/// The store holds <c>users × facts</c> facts, each a sentence of words drawn from a vocabulary of
/// 2,000 made-up words. A recall is <see cref="AgentMemory.RecallAsync"/> for a random user with a
/// three-word question: a full-text search of that user's facts, the best 5 of 20 candidates. The
/// floor is the same database answering <c>SELECT fact FROM memories WHERE id = ?</c> for a random
/// fact, on the same number of callers.
/// </remarks>
internal static class RecallBench
{
    private const int VocabularySize = 2_000;
    private static readonly string[] Syllables = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "fu", "ga", "hi", "ju", "ko", "ma", "ni", "ro", "sa", "ti", "vu"];

    public static async Task RunAsync(int seconds, int users, int factsPerUser)
    {
        var words = Enumerable.Range(0, VocabularySize).Select(Word).ToArray();
        var duration = TimeSpan.FromSeconds(seconds);
        var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        TestPostgresServer? server = null;
        var rows = new List<string>();
        try
        {
            var sqlitePath = Path.Combine(directory, "memory.db");
            rows.AddRange(await MeasureAsync(
                "SQLite",
                new Dictionary<string, string?> { ["Storage:Provider"] = "Sqlite", ["Storage:Path"] = sqlitePath, ["Storage:FlushEachCommit"] = "false" },
                async () =>
                {
                    var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqlitePath, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString());
                    await connection.OpenAsync();
                    return connection;
                },
                words, users, factsPerUser, duration));

            server = await TestPostgresServer.StartAsync();
            var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
            await using var dataSource = new NpgsqlDataSourceBuilder(server.ConnectionString) { ConnectionStringBuilder = { SearchPath = schema, MaxPoolSize = 100 } }.Build();
            rows.AddRange(await MeasureAsync(
                "PostgreSQL",
                new Dictionary<string, string?> { ["Storage:Provider"] = "PostgreSQL", ["ConnectionStrings:AgentGrains"] = server.ConnectionString, ["Storage:Schema"] = schema },
                async () => await dataSource.OpenConnectionAsync(),
                words, users, factsPerUser, duration));
        }
        finally
        {
            server?.Stop();
            TestPostgresServer.TryDelete(directory);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"AgentGrains recall bench: {users} users × {factsPerUser} facts, {Environment.ProcessorCount} cores, {seconds} s per figure"));
        Console.WriteLine();
        Console.WriteLine("| storage | what | callers | per s | p50 ms | p99 ms |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            Console.WriteLine(row);
        }
    }

    private static async Task<List<string>> MeasureAsync(
        string storage,
        Dictionary<string, string?> settings,
        Func<Task<System.Data.Common.DbConnection>> open,
        string[] words,
        int users,
        int factsPerUser,
        TimeSpan duration)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddMemoryStore().BuildServiceProvider();
        var store = services.GetRequiredService<IMemoryStore>();
        var memory = new AgentMemory(store, TimeProvider.System, NullLogger<AgentMemory>.Instance);

        // The facts, 16 writers at a time (each fact its own transaction, as remember writes it).
        var at = DateTimeOffset.UtcNow;
        var total = users * factsPerUser;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < total)
            {
                var random = new Random(n);
                var text = $"My {Pick(words, random)} {Pick(words, random)} is {Pick(words, random)} and {Pick(words, random)}.";
                await store.RememberAsync(new NewMemoryFact($"user-{n % users}", text, "bench", "bench~1", 1, $"fill:{n}", at), CancellationToken.None);
            }
        }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{storage}: {total:N0} facts stored"));

        var results = new List<string>();
        foreach (var callers in new[] { 1, 64 })
        {
            var recall = await Measurement.RunAsync("recall", callers, duration, async (caller, i) =>
            {
                var random = new Random(HashCode.Combine(caller, i));
                await memory.RecallAsync($"user-{random.Next(users)}", $"what is my {Pick(words, random)} {Pick(words, random)} {Pick(words, random)}?", AgentMemory.DefaultLimit, CancellationToken.None);
            });
            var connections = new System.Data.Common.DbConnection[callers];
            for (var c = 0; c < callers; c++)
            {
                connections[c] = await open();
            }

            var floor = await Measurement.RunAsync("primary-key read", callers, duration, async (caller, i) =>
            {
                await using var command = connections[caller].CreateCommand();
                command.CommandText = storage == "SQLite" ? "SELECT fact FROM memories WHERE id = $id" : "SELECT fact FROM memories WHERE id = @id";
                var parameter = command.CreateParameter();
                parameter.ParameterName = storage == "SQLite" ? "$id" : "id";
                parameter.Value = (long)(new Random(HashCode.Combine(caller, i)).Next(total) + 1);
                command.Parameters.Add(parameter);
                await command.ExecuteScalarAsync();
            });
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            results.Add(Row(storage, recall));
            results.Add(Row(storage, floor));
        }

        return results;
    }

    private static string Row(string storage, Measurement.Result result) =>
        string.Create(CultureInfo.InvariantCulture, $"| {storage} | {result.Name} | {result.Clients} | {result.PerSecond:N0} | {result.P50Ms:0.000} | {result.P99Ms:0.000} |");

    private static string Pick(string[] words, Random random) => words[random.Next(words.Length)];

    // Made-up words from syllables: distinct, and none an English stop word.
    private static string Word(int n) => $"{Syllables[n % 20]}{Syllables[n / 20 % 20]}{Syllables[n / 400 % 20]}{(n >= 8000 ? "x" : string.Empty)}";
}
