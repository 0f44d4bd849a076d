using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace AgentGrains.Cli.Http;

/// <summary>Reads a run's server-sent events until the run's own <c>run.finished</c>, reconnecting with Last-Event-ID when the stream drops.</summary>
/// <remarks>
/// The events are parsed by .NET's <see cref="SseParser"/>; this class adds what a run's stream needs
/// on top: reconnecting from the last event id, and telling a dead connection from a quiet one.
/// The gateway sends a comment at least every few seconds while a run waits, so a stream silent
/// for <see cref="IdleTimeout"/> is taken as dropped too. Reconnects go on while the gateway can be
/// reached again within <see cref="MaxOutage"/>; the first connection is not retried, so a gateway
/// that is down or a run that does not exist is reported at once.
/// </remarks>
internal sealed class RunEventReader(GatewayClient gateway, Action<string>? notice = null)
{
    /// <summary>The run's own last event.</summary>
    public const string Finished = "run.finished";

    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxOutage = TimeSpan.FromSeconds(60);

    public async IAsyncEnumerable<StreamedEvent> ReadAsync(string runId, string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connected = false;
        var retry = TimeSpan.FromSeconds(1);
        DateTimeOffset? outageSince = null;
        while (true)
        {
            var (response, failure) = await OpenAsync(runId, lastEventId, cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                // Never connected: say why at once. Connected before: keep trying for a while.
                outageSince ??= DateTimeOffset.UtcNow;
                if (!connected || !failure!.Transient || DateTimeOffset.UtcNow - outageSince > MaxOutage)
                {
                    throw failure!;
                }

                await Task.Delay(retry, cancellationToken).ConfigureAwait(false);
                continue;
            }

            connected = true;
            using (response)
            {
                // A stream silent for IdleTimeout (not even a keep-alive comment) is taken as dropped.
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(IdleTimeout);
                var body = new ActivityStream(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), () => idle.CancelAfter(IdleTimeout));
                var parser = SseParser.Create(body, static (_, data) => JsonSerializer.Deserialize<RunEventDto>(data, GatewayClient.Json));
                await using var items = parser.EnumerateAsync(idle.Token).GetAsyncEnumerator(idle.Token);
                while (await NextAsync(items, cancellationToken).ConfigureAwait(false))
                {
                    var item = items.Current.Data ?? throw new CliException("the event stream sent an empty event");
                    lastEventId = items.Current.EventId ?? lastEventId;
                    retry = Clamp(parser.ReconnectionInterval);
                    outageSince = null;
                    yield return new StreamedEvent(lastEventId ?? item.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), item);
                    if (item.IsRoot && item.Type == Finished)
                    {
                        yield break;
                    }
                }
            }

            // The stream ended before the run did: the connection dropped (or the gateway went away).
            outageSince ??= DateTimeOffset.UtcNow;
            if (DateTimeOffset.UtcNow - outageSince > MaxOutage)
            {
                throw new CliException($"the event stream of run {runId} at {gateway.Display} kept dropping without an event for {MaxOutage.TotalSeconds:0} s; try again with `agentgrains runs tail {runId}{(lastEventId is null ? string.Empty : " --from " + lastEventId)}`");
            }

            notice?.Invoke(lastEventId is null ? "the event stream dropped; reconnecting" : $"the event stream dropped; resuming after event {lastEventId}");
            await Task.Delay(retry, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The server's retry interval (default 1 s), kept within sensible bounds.</summary>
    private static TimeSpan Clamp(TimeSpan retry) =>
        retry <= TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(Math.Clamp(retry.TotalMilliseconds, 100, 10_000));

    private async Task<(HttpResponseMessage? Response, CliException? Failure)> OpenAsync(string runId, string? lastEventId, CancellationToken cancellationToken)
    {
        try
        {
            return (await gateway.OpenEventsAsync(runId, lastEventId, cancellationToken).ConfigureAwait(false), null);
        }
        catch (CliException ex)
        {
            return (null, ex);
        }
    }

    /// <summary>The next event; false when the stream ended, broke or stayed silent too long.</summary>
    private static async Task<bool> NextAsync(IAsyncEnumerator<SseItem<RunEventDto?>> items, CancellationToken cancellationToken)
    {
        try
        {
            return await items.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is IOException or HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }
}
