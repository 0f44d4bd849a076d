using System.Globalization;
using AgentGrains.Bench;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Usage: dotnet run -c Release --project bench -- [seconds per figure, default 5] [flush: true|false, default true]
//        [PostgreSQL connection string: measure PostgreSQL instead of SQLite (flush is then the server's)]
//    or: dotnet run -c Release --project bench -- cluster [seconds per figure, default 10]
//        [PostgreSQL connection string; default a throwaway server the bench starts and deletes]
//        1, 2 and 3 silos on one PostgreSQL, each figure next to pgbench's on the same server (needs pgbench).
//    or: dotnet run -c Release --project bench -- memory [sessions, default 5000]
//        managed memory per idle agent-session activation
//    or: dotnet run -c Release --project bench -- steps [seconds per figure, default 10]
//        one durable agent step (scripted model, no-op tool) on SQLite and on a throwaway PostgreSQL,
//        1 and 64 concurrent runs, each next to one bare commit of the same database.
//    or: dotnet run -c Release --project bench -- delegate [seconds per figure, default 10]
//        the same with step 1 calling a specialist written as code: one durable specialist run per call.
if (args.Length > 0 && args[0] == "memory")
{
    await MemoryBench.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5000);
    return;
}

if (args.Length > 0 && args[0] is "steps" or "delegate")
{
    await StepsBench.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10, delegated: args[0] == "delegate");
    return;
}

if (args.Length > 0 && args[0] == "cluster")
{
    await ClusterBench.RunAsync(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10,
        args.Length > 2 ? args[2] : null);
    return;
}

var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var flush = args.Length <= 1 || bool.Parse(args[1]);
var postgres = args.Length > 2 ? args[2] : null;
var duration = TimeSpan.FromSeconds(seconds);
var directory = Path.Combine(Path.GetTempPath(), "agentgrains-bench-" + Guid.NewGuid().ToString("N"));
// A fresh schema per run, so runs never see each other's rows.
var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
Directory.CreateDirectory(directory);
try
{
    Console.WriteLine(postgres is null
        ? $"AgentGrains bench: SQLite (WAL, synchronous={(flush ? "FULL" : "NORMAL")}), {Environment.ProcessorCount} cores, {seconds} s per figure"
        : $"AgentGrains bench: PostgreSQL (schema {schema}), {Environment.ProcessorCount} cores, {seconds} s per figure");
    Console.WriteLine();
    Console.WriteLine("| figure | concurrent callers | per second | p50 ms | p99 ms |");
    Console.WriteLine("|---|---|---|---|---|");

    if (postgres is null)
    {
        await using var bare = new BareSqlite(Path.Combine(directory, "bare.db"), flush);
        foreach (var clients in new[] { 1, 64 })
        {
            Console.WriteLine(await Measurement.RunAsync("bare SQLite commit (one-row insert)", clients, duration, (_, _) => bare.CommitAsync()));
        }
    }
    else
    {
        await using var bare = await BarePostgres.CreateAsync(postgres, schema + "_bare");
        foreach (var clients in new[] { 1, 64 })
        {
            Console.WriteLine(await Measurement.RunAsync("bare PostgreSQL commit (one-row insert)", clients, duration, (_, _) => bare.CommitAsync()));
        }
    }

    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.Configuration.AddInMemoryCollection(postgres is null
        ? new Dictionary<string, string?>
        {
            ["Storage:Path"] = Path.Combine(directory, "grains.db"),
            ["Storage:FlushEachCommit"] = flush.ToString(),
        }
        : new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSQL",
            ["ConnectionStrings:AgentGrains"] = postgres,
            ["Storage:Schema"] = schema,
        });
    builder.Services.AddAgentGrainsSilo().AddGrain<IBenchGrain, BenchGrain>();
    using var host = builder.Build();
    await host.StartAsync();
    var grains = host.Services.GetRequiredService<IGrainFactory>();

    foreach (var clients in new[] { 1, 64 })
    {
        var refs = Enumerable.Range(0, clients).Select(c => grains.GetGrain<IBenchGrain>($"durable-{clients}-{c}")).ToArray();
        Console.WriteLine(await Measurement.RunAsync("durable grain call (inbox + turn commit)", clients, duration, (c, _) => refs[c].IncrementAsync()));
    }

    var readers = Enumerable.Range(0, 8).Select(c => grains.GetGrain<IBenchGrain>($"read-{c}")).ToArray();
    var readOnly = await Measurement.RunAsync(
        "[ReadOnly] grain call (in memory)",
        8,
        duration,
        async (c, _) =>
        {
            // 100 calls per measured operation keep the stopwatch out of the figure.
            for (var i = 0; i < 100; i++)
            {
                await readers[c].GetAsync();
            }
        },
        recordLatency: false);
    Console.WriteLine(readOnly with { PerSecond = readOnly.PerSecond * 100 });

    await host.StopAsync();
}
finally
{
    if (postgres is not null)
    {
        await using var connection = new Npgsql.NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; DROP SCHEMA IF EXISTS \"{schema}_bare\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(directory, recursive: true);
}
