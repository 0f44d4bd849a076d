using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AgentGrains.Grains.Tools;

/// <summary>
/// Keeps the <c>notify</c> webhook off loopback, link-local, private and reserved networks: the
/// HTTP client's connections are made here, to an address checked after the name was resolved.
/// </summary>
/// <remarks>
/// <para>The check is at connect time, not when the URL is read: the handler's
/// <see cref="SocketsHttpHandler.ConnectCallback"/> resolves the host itself, keeps the allowed
/// addresses (<see cref="IsAllowed"/>) and connects the socket to one of those only. The address
/// checked is the address connected to, so a name that resolves to a public address once and to a
/// private one later (DNS rebinding) cannot slip through.</para>
/// <para>Proxies are off for this client: through a proxy the proxy resolves the name and connects,
/// and the check would see only the proxy's address.</para>
/// </remarks>
internal sealed class WebhookAddressGuard
{
    /// <summary>The setting that turns the guard off, as an operator writes it.</summary>
    internal const string AllowSetting = NotifyToolOptions.SectionName + ":AllowPrivateNetworks=true";

    private static readonly IPNetwork[] BlockedV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"), // "this network"
        IPNetwork.Parse("10.0.0.0/8"), // private
        IPNetwork.Parse("100.64.0.0/10"), // carrier-grade NAT
        IPNetwork.Parse("127.0.0.0/8"), // loopback
        IPNetwork.Parse("169.254.0.0/16"), // link-local, cloud metadata (169.254.169.254)
        IPNetwork.Parse("172.16.0.0/12"), // private
        IPNetwork.Parse("192.168.0.0/16"), // private
        IPNetwork.Parse("224.0.0.0/4"), // multicast
        IPNetwork.Parse("240.0.0.0/4"), // reserved, broadcast
    ];

    private static readonly IPNetwork[] BlockedV6 =
    [
        IPNetwork.Parse("::/96"), // unspecified, loopback, IPv4-compatible (deprecated)
        IPNetwork.Parse("64:ff9b:1::/48"), // local-use NAT64
        IPNetwork.Parse("fc00::/7"), // unique local
        IPNetwork.Parse("fe80::/10"), // link-local
        IPNetwork.Parse("fec0::/10"), // site-local (deprecated)
        IPNetwork.Parse("ff00::/8"), // multicast
    ];

    // Forms that carry an IPv4 address in their last 32 bits: that address is checked.
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");

    private readonly Func<string, CancellationToken, Task<IPAddress[]>> resolve;
    private readonly Func<IPAddress[], int, CancellationToken, ValueTask<Stream>> connect;

    /// <summary>Creates the guard.</summary>
    /// <param name="resolve">Resolves a host name; <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> when null.</param>
    /// <param name="connect">Connects to the first reachable of the addresses on the port; a TCP socket when null.</param>
    public WebhookAddressGuard(
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null,
        Func<IPAddress[], int, CancellationToken, ValueTask<Stream>>? connect = null)
    {
        this.resolve = resolve ?? Dns.GetHostAddressesAsync;
        this.connect = connect ?? ConnectSocketAsync;
    }

    /// <summary>The primary handler of the <c>notify</c> HTTP client.</summary>
    /// <param name="allowPrivateNetworks"><c>Tools:Notify:AllowPrivateNetworks</c>: when true, no address is refused.</param>
    /// <param name="guard">The guard that makes the connections; a default one when null.</param>
    public static SocketsHttpHandler CreateHandler(bool allowPrivateNetworks, WebhookAddressGuard? guard = null)
    {
        var handler = new SocketsHttpHandler
        {
            // Through a proxy the proxy would resolve and connect, out of the guard's sight; off in
            // both modes so the client behaves the same whichever is configured.
            UseProxy = false,
        };
        if (!allowPrivateNetworks)
        {
            guard ??= new WebhookAddressGuard();
            handler.ConnectCallback = (context, cancellationToken) => guard.ConnectAsync(context.DnsEndPoint, cancellationToken);
        }

        return handler;
    }

    /// <summary>Whether the webhook may be called at <paramref name="address"/>: false for loopback, link-local, private and reserved ranges, IPv4-mapped and NAT64 forms included.</summary>
    public static bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        else if (Nat64.Contains(address))
        {
            address = new IPAddress(address.GetAddressBytes().AsSpan(12));
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => !BlockedV4.Any(network => network.Contains(address)),
            AddressFamily.InterNetworkV6 => !BlockedV6.Any(network => network.Contains(address)),
            _ => false,
        };
    }

    /// <summary>Resolves <paramref name="host"/> (an IP literal is taken as is) and keeps the allowed addresses, in the resolver's order.</summary>
    /// <exception cref="WebhookAddressRefusedException">No address of the host is allowed.</exception>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        var addresses = IPAddress.TryParse(literal, out var parsed)
            ? [parsed]
            : await resolve(host, cancellationToken).ConfigureAwait(false);
        var allowed = Array.FindAll(addresses, IsAllowed);
        if (allowed.Length == 0)
        {
            throw new WebhookAddressRefusedException(string.Create(
                CultureInfo.InvariantCulture,
                $"the webhook's address ({(addresses.Length == 0 ? "none found" : string.Join(", ", addresses.Select(static a => a.ToString())))}) is loopback, link-local or in a private or reserved network, so nothing was sent; an operator allows such addresses with {AllowSetting}."));
        }

        return allowed;
    }

    /// <summary>Connects to an allowed address of <paramref name="endPoint"/>'s host: the one connection path of the guarded client.</summary>
    /// <exception cref="WebhookAddressRefusedException">No address of the host is allowed.</exception>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var allowed = await ResolveAllowedAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
        return await connect(allowed, endPoint.Port, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<Stream> ConnectSocketAsync(IPAddress[] addresses, int port, CancellationToken cancellationToken)
    {
        // Dual mode (the default of this constructor) reaches IPv4 addresses too.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
