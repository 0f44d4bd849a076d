using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace AgentGrains.Cli.Http;

/// <summary>Reads a run's server-sent events until the run's own <c>run.finished</c>, reconnecting with Last-Event-ID when the stream drops.</summary>
/// <remarks>
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
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), Encoding.UTF8);
                string? id = null;
                var data = new StringBuilder();
                while (true)
                {
                    var line = await ReadLineAsync(reader, cancellationToken).ConfigureAwait(false);
                    if (line is null)
                    {
                        break;
                    }

                    if (line.Length > 0)
                    {
                        Field(line, ref id, data, ref retry);
                        continue;
                    }

                    if (data.Length == 0)
                    {
                        id = null;
                        continue;
                    }

                    var item = JsonSerializer.Deserialize<RunEventDto>(data.ToString(), GatewayClient.Json)
                        ?? throw new CliException("the event stream sent an empty event");
                    lastEventId = id ?? lastEventId;
                    outageSince = null;
                    data.Clear();
                    id = null;
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

    private static void Field(string line, ref string? id, StringBuilder data, ref TimeSpan retry)
    {
        if (line[0] == ':')
        {
            return;
        }

        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? string.Empty : line[(colon + 1)..];
        if (value.StartsWith(' '))
        {
            value = value[1..];
        }

        switch (name)
        {
            case "id":
                id = value;
                break;
            case "data":
                if (data.Length > 0)
                {
                    data.Append('\n');
                }

                data.Append(value);
                break;
            case "retry" when int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms):
                retry = TimeSpan.FromMilliseconds(Math.Clamp(ms, 100, 10_000));
                break;
            default:
                break;
        }
    }

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

    /// <summary>The next line; null when the stream ended, broke or stayed silent too long.</summary>
    private static async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(IdleTimeout);
        try
        {
            return await reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is IOException or HttpRequestException or OperationCanceledException)
        {
            return null;
        }
    }
}
