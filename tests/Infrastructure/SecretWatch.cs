using System.Collections.Concurrent;
using System.Diagnostics;
using AgentGrains.GrainInterfaces.Diagnostics;
using Microsoft.Extensions.Logging;

[assembly: AssemblyFixture(typeof(AgentGrains.Tests.Infrastructure.SecretWatch))]

namespace AgentGrains.Tests.Infrastructure;

/// <summary>Watches everything the whole test run's hosts log and trace for the secrets tests configure (API keys, model keys, passwords); the run fails at its end if one appeared.</summary>
/// <remarks>
/// Tests register each secret they configure (<see cref="Register"/>). Every silo and gateway the
/// tests host in this process logs through <see cref="LoggerProvider"/> (<c>GatewayApp</c>,
/// <c>SessionCluster</c>, <c>ClusterGateway</c>), at the levels the host logs at, and every line a silo
/// or gateway process writes is checked as it is read (<c>NodeProcess</c>); the spans of the
/// project's own source and Microsoft.Extensions.AI's are checked as they end. A secret found is kept
/// with where it was found, and the assembly fixture's disposal fails the run naming it.
/// </remarks>
public sealed class SecretWatch : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, string> Secrets = new(StringComparer.Ordinal);
    private static readonly ConcurrentQueue<string> Found = new();
    private readonly ActivityListener listener;

    /// <summary>Starts watching spans (created once, by xUnit, for the whole test assembly).</summary>
    public SecretWatch()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name is TelemetryNames.AgentGrains or "Experimental.Microsoft.Extensions.AI" or "Microsoft.Extensions.AI",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = static span => Check($"span {span.DisplayName}", Describe(span)),
        };
        ActivitySource.AddActivityListener(listener);
        NodeProcess.OutputWatcher = Check;
    }

    /// <summary>The secrets found so far, with where.</summary>
    public static IReadOnlyList<string> Leaks => [.. Found];

    /// <summary>Watches for <paramref name="value"/> (what a test configures as <paramref name="name"/>) from now on.</summary>
    /// <returns>The value.</returns>
    public static string Register(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Secrets[value] = name;
        return value;
    }

    /// <summary>Records every registered secret <paramref name="text"/> holds.</summary>
    public static void Check(string where, string? text)
    {
        if (string.IsNullOrEmpty(text) || Secrets.IsEmpty)
        {
            return;
        }

        foreach (var (value, name) in Secrets)
        {
            if (text.Contains(value, StringComparison.Ordinal))
            {
                Found.Enqueue($"{name} in {where}: {text[..Math.Min(text.Length, 300)]}");
            }
        }
    }

    /// <summary>A logger provider that checks every entry (message and exception).</summary>
    public static ILoggerProvider LoggerProvider { get; } = new Provider();

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        listener.Dispose();
        return Found.IsEmpty
            ? ValueTask.CompletedTask
            : throw new InvalidOperationException($"Secrets appeared in what the test run logged or traced ({Found.Count}):\n{string.Join("\n", Found.Take(10))}");
    }

    /// <summary>What a span says: its name, status, tags and events, as text to scan.</summary>
    public static string Describe(Activity span)
    {
        ArgumentNullException.ThrowIfNull(span);
        var text = new System.Text.StringBuilder().Append(span.DisplayName).Append(' ').Append(span.StatusDescription);
        foreach (var tag in span.TagObjects)
        {
            text.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
        }

        foreach (var e in span.Events)
        {
            text.Append(' ').Append(e.Name);
            foreach (var tag in e.Tags)
            {
                text.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
            }
        }

        return text.ToString();
    }

    private sealed class Provider : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (Secrets.IsEmpty)
            {
                return;
            }

            Check($"log {category}", formatter(state, exception));
            Check($"log {category} (exception)", exception?.ToString());
        }
    }
}
