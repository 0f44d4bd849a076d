using System.Globalization;
using System.Net;
using System.Text;

namespace AgentGrains.Tests.Gateway;

/// <summary>A client of a run's <c>text/event-stream</c>: the real HTTP response read as it arrives, parsed field by field.</summary>
/// <remarks>
/// Parses what the server-sent events format defines: <c>id:</c>, <c>event:</c>, <c>data:</c> lines
/// (several data lines join with a newline), comments (<c>:</c>) and <c>retry:</c> are skipped, and a
/// blank line dispatches an event that has data. Disposing drops the connection, as a client going away does.
/// </remarks>
public sealed class EventStreamClient : IDisposable
{
    private readonly HttpResponseMessage response;
    private readonly StreamReader reader;

    private EventStreamClient(HttpResponseMessage response, Stream body)
    {
        this.response = response;
        reader = new StreamReader(body, Encoding.UTF8);
    }

    /// <summary>Whether the server ended the stream.</summary>
    public bool Ended { get; private set; }

    /// <summary>Opens <c>/v1/runs/{runId}/events</c>; asserts 200 and <c>text/event-stream</c>.</summary>
    /// <param name="lastEventId">Sent as the <c>Last-Event-ID</c> header, or as <c>?lastEventId=</c> when <paramref name="asQuery"/>.</param>
    public static Task<EventStreamClient> OpenAsync(HttpClient client, string runId, long? lastEventId = null, bool asQuery = false) =>
        OpenAsync(client, runId, lastEventId?.ToString(CultureInfo.InvariantCulture), asQuery);

    /// <summary>Opens <c>/v1/runs/{runId}/events</c> from a whole event id (<see cref="ServerSentEvent.Cursor"/>).</summary>
    public static async Task<EventStreamClient> OpenAsync(HttpClient client, string runId, string? lastEventId, bool asQuery = false)
    {
        var path = $"/v1/runs/{runId}/events";
        if (lastEventId is { } query && asQuery)
        {
            path += $"?lastEventId={Uri.EscapeDataString(query)}";
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is { } header && !asQuery)
        {
            request.Headers.Add("Last-Event-ID", header);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            response.Dispose();
            Assert.Fail($"Expected 200 for GET {path}, got {(int)response.StatusCode}: {body}");
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new EventStreamClient(response, await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>The next event, or null once the server has ended the stream.</summary>
    public async Task<ServerSentEvent?> ReadAsync(string expectation, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        try
        {
            return await ReadEventAsync().WaitAsync(limit, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {expectation}.");
        }
    }

    /// <summary>Reads until the server ends the stream; returns the events read.</summary>
    public async Task<List<ServerSentEvent>> ReadToEndAsync(string expectation)
    {
        var events = new List<ServerSentEvent>();
        while (await ReadAsync(expectation) is { } next)
        {
            events.Add(next);
        }

        return events;
    }

    public void Dispose()
    {
        reader.Dispose();
        response.Dispose();
    }

    private async Task<ServerSentEvent?> ReadEventAsync()
    {
        string? id = null;
        string? type = null;
        StringBuilder? data = null;
        while (true)
        {
            var line = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
            if (line is null)
            {
                Ended = true;
                return null;
            }

            if (line.Length == 0)
            {
                if (data is not null)
                {
                    Assert.True(id is not null, $"An event without an id: {type} {data}");
                    return new ServerSentEvent(long.Parse(id.Split(';')[0], NumberStyles.None, CultureInfo.InvariantCulture), type ?? "message", data.ToString(), id);
                }

                id = null;
                type = null;
                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value);
                    break;
            }
        }
    }
}
