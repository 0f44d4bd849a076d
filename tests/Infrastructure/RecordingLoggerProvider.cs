using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Tests.Infrastructure;

/// <summary>Keeps every log entry written through it, for tests that assert what was logged.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> entries = new();

    /// <summary>The entries so far, in order.</summary>
    public IReadOnlyList<LogEntry> Entries => [.. entries];

    /// <summary>A typed logger writing here.</summary>
    public ILogger<T> CreateLogger<T>() => new Logger<T>(new LoggerFactory([this]));

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, entries);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>One log entry: category, level, event id and the formatted message.</summary>
    public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message);

    private sealed class Recorder(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception)));
    }
}
