using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentGrains.Tests.Cli;

/// <summary>A TCP proxy in front of a gateway that breaks one connection, as a network drop would; every other byte is forwarded as is.</summary>
/// <remarks>
/// Either the first connection breaks after a number of response bytes (an event stream cut midway),
/// or the first request that contains a marker reaches the gateway and its connection breaks before
/// any of its answer is passed on (an answer lost on the way back).
/// </remarks>
public sealed class DroppingProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint target;
    private readonly int? dropAfterBytes;
    private readonly string? dropAnswerTo;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private int connections;
    private int dropped;

    private DroppingProxy(Uri gateway, int? dropAfterBytes, string? dropAnswerTo)
    {
        target = new IPEndPoint(IPAddress.Loopback, gateway.Port);
        this.dropAfterBytes = dropAfterBytes;
        this.dropAnswerTo = dropAnswerTo;
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>The proxy's address, to pass as the gateway.</summary>
    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref connections);

    /// <summary>Whether the drop has happened.</summary>
    public bool Dropped => Volatile.Read(ref dropped) == 1;

    /// <summary>Breaks the first connection after <paramref name="bytes"/> bytes of its response.</summary>
    public static DroppingProxy CutFirstResponseAfter(Uri gateway, int bytes) => new(gateway, bytes, null);

    /// <summary>Passes the first request containing <paramref name="marker"/> on, then breaks its connection instead of passing the answer back.</summary>
    public static DroppingProxy LoseAnswerTo(Uri gateway, string marker) => new(gateway, null, marker);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop.Token);
            var number = Interlocked.Increment(ref connections);
            _ = ForwardAsync(client, number == 1 && dropAfterBytes is { } bytes ? bytes : long.MaxValue);
        }
    }

    private async Task ForwardAsync(TcpClient client, long responseLimit)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(target, stop.Token);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                var connection = new Connection(responseLimit);
                var up = CopyUpAsync(client.GetStream(), server.GetStream(), connection, linked.Token);
                var down = CopyDownAsync(server.GetStream(), client.GetStream(), connection, linked.Token);
                await Task.WhenAny(up, down);
                await linked.CancelAsync();
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // The drop itself, or the test ending.
            }
        }
    }

    private async Task CopyUpAsync(Stream from, Stream to, Connection connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        while (true)
        {
            var read = await from.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return;
            }

            if (dropAnswerTo is not null
                && Encoding.UTF8.GetString(buffer, 0, read).Contains(dropAnswerTo, StringComparison.Ordinal)
                && Interlocked.CompareExchange(ref dropped, 1, 0) == 0)
            {
                connection.LoseAnswer = true;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            await to.FlushAsync(cancellationToken);
        }
    }

    private async Task CopyDownAsync(Stream from, Stream to, Connection connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        long sent = 0;
        while (sent < connection.ResponseLimit)
        {
            var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, connection.ResponseLimit - sent)), cancellationToken);
            if (read == 0 || connection.LoseAnswer)
            {
                // The gateway answered (it took the request): the answer goes nowhere, the connection breaks.
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            await to.FlushAsync(cancellationToken);
            sent += read;
        }

        Interlocked.Exchange(ref dropped, 1);
    }

    private sealed class Connection(long responseLimit)
    {
        public long ResponseLimit { get; } = responseLimit;

        public volatile bool LoseAnswer;
    }
}
