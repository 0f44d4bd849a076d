using System.Net;
using System.Net.Sockets;

namespace AgentGrains.Tests.Cli;

/// <summary>A TCP proxy in front of a gateway that breaks its first connection after a number of response bytes, as a network drop would.</summary>
/// <remarks>Every later connection is forwarded whole; <see cref="Connections"/> counts them.</remarks>
public sealed class DroppingProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint target;
    private readonly int dropAfterBytes;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private int connections;

    public DroppingProxy(Uri gateway, int dropAfterBytes)
    {
        target = new IPEndPoint(IPAddress.Loopback, gateway.Port);
        this.dropAfterBytes = dropAfterBytes;
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>The proxy's address, to pass as the gateway.</summary>
    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref connections);

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
            _ = ForwardAsync(client, number == 1 ? dropAfterBytes : long.MaxValue);
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
                var up = CopyAsync(client.GetStream(), server.GetStream(), long.MaxValue, linked.Token);
                var down = CopyAsync(server.GetStream(), client.GetStream(), responseLimit, linked.Token);
                await Task.WhenAny(up, down);
                await linked.CancelAsync();
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // The drop itself, or the test ending.
            }
        }
    }

    private static async Task CopyAsync(Stream from, Stream to, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        long sent = 0;
        while (sent < limit)
        {
            var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - sent)), cancellationToken);
            if (read == 0)
            {
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            await to.FlushAsync(cancellationToken);
            sent += read;
        }
    }
}
