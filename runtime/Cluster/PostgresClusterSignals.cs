using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Proxies;
using AgentGrains.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentGrains.Runtime.Cluster;

/// <summary>Signals between silos of a PostgreSQL cluster, in any process: LISTEN/NOTIFY, one channel per silo.</summary>
/// <remarks>
/// <para>Each subscribed silo holds one connection that LISTENs on its channel (a hash of the
/// cluster scope and the silo id, so clusters in other schemas of the same server never hear
/// each other). A wake-up or a reply is one <c>pg_notify</c>, delivered within milliseconds.</para>
/// <para>Notifications are not durable: one sent while a listener reconnects is lost. That only
/// delays work until the silo's safety scan, because the message and its outcome are inbox rows.
/// A reply too large for a notification (8,000 bytes) carries no result; the receiver reads it
/// from the inbox.</para>
/// <para>Read-only calls reach silos of this process directly; across processes they are not
/// supported yet.</para>
/// </remarks>
internal sealed partial class PostgresClusterSignals(NpgsqlDataSource dataSource, string scope, ILogger<PostgresClusterSignals> logger) : IClusterSignals
{
    private const int MaxPayloadBytes = 7900;

    private readonly InProcessClusterSignals local = new(scope);

    public IDisposable Subscribe(string siloId, IClusterSignalHandler handler)
    {
        var localSubscription = local.Subscribe(siloId, handler);
        var listening = new CancellationTokenSource();
        var loop = Task.Run(() => ListenAsync(Channel(siloId), handler, listening.Token), CancellationToken.None);
        return new Subscription(localSubscription, listening, loop);
    }

    public void Wake(string siloId, GrainId grain) =>
        _ = SendAsync(siloId, JsonSerializer.Serialize(new Signal("wake", grain.ToString(), null, null, null, null), RuntimeJson.Options));

    public void Reply(string siloId, GrainId grain, string idempotencyKey, Completion completion)
    {
        var full = JsonSerializer.Serialize(
            new Signal("reply", grain.ToString(), idempotencyKey, (int)completion.Status, completion.Result, completion.Error), RuntimeJson.Options);
        var payload = Encoding.UTF8.GetByteCount(full) <= MaxPayloadBytes
            ? full
            : JsonSerializer.Serialize(new Signal("reply", grain.ToString(), idempotencyKey, null, null, null), RuntimeJson.Options);
        _ = SendAsync(siloId, payload);
    }

    public bool IsLocal(string siloId) => local.IsLocal(siloId);

    public Task<object?> InvokeReadOnlyAsync(string siloId, GrainId grain, GrainMethod method, object?[] arguments) =>
        local.InvokeReadOnlyAsync(siloId, grain, method, arguments);

    private string Channel(string siloId)
    {
        // Channel names are identifiers of at most 63 bytes: a hash keeps any scope and id within that.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{scope}\n{siloId}"));
        return "agentgrains_" + Convert.ToHexStringLower(hash)[..40];
    }

    private async Task SendAsync(string siloId, string payload)
    {
        // Waiters recover lost replies from the inbox (Silo.CollectLostRepliesAsync), so a send that
        // fails because this silo is going down (its data source disposed) loses nothing.
        try
        {
            await using var command = dataSource.CreateCommand("SELECT pg_notify($1, $2)");
            command.Parameters.AddWithValue(Channel(siloId));
            command.Parameters.AddWithValue(payload);
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or ObjectDisposedException or InvalidOperationException)
        {
            // A lost signal only delays the work until the receiver's safety scan.
            LogSendFailed(logger, siloId, ex);
        }
    }

    private async Task ListenAsync(string channel, IClusterSignalHandler handler, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                connection.Notification += (_, e) => Dispatch(handler, e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                while (true)
                {
                    await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
            {
                LogListenFailed(logger, channel, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Dispatch(IClusterSignalHandler handler, string payload)
    {
        Signal? signal;
        try
        {
            signal = JsonSerializer.Deserialize<Signal>(payload, RuntimeJson.Options);
        }
        catch (JsonException ex)
        {
            LogBadSignal(logger, ex);
            return;
        }

        if (signal is null)
        {
            return;
        }

        var grain = GrainId.Parse(signal.Grain);
        // Off the connection's notification callback: handlers may do I/O.
        if (signal.Kind == "wake")
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.handler.OnWake(s.grain), (handler, grain), preferLocal: false);
        }
        else if (signal.Kind == "reply" && signal.Key is { } key)
        {
            var completion = signal.Status is { } status ? new Completion((InboxStatus)status, signal.Result, signal.Error, null) : null;
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.handler.OnReply(s.grain, s.key, s.completion), (handler, grain, key, completion), preferLocal: false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not signal silo {SiloId}; it will find the work at its next safety scan")]
    private static partial void LogSendFailed(ILogger logger, string siloId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening on {Channel} failed; reconnecting")]
    private static partial void LogListenFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a cluster signal that cannot be read")]
    private static partial void LogBadSignal(ILogger logger, Exception exception);

    private sealed record Signal(
        [property: JsonPropertyName("k")] string Kind,
        [property: JsonPropertyName("g")] string Grain,
        [property: JsonPropertyName("i")] string? Key,
        [property: JsonPropertyName("s")] int? Status,
        [property: JsonPropertyName("r")] string? Result,
        [property: JsonPropertyName("e")] string? Error);

    private sealed class Subscription(IDisposable local, CancellationTokenSource listening, Task loop) : IDisposable
    {
        public void Dispose()
        {
            local.Dispose();
            listening.Cancel();
            // The loop ends promptly once cancelled; waiting keeps its connection from outliving the store.
            loop.Wait(TimeSpan.FromSeconds(5));
            listening.Dispose();
        }
    }
}
