using System.Net.Http.Json;
using AgentGrains.Runtime.Cluster;
using AgentGrains.Runtime.Hosting;
using AgentGrains.Runtime.Messaging;
using AgentGrains.Runtime.Proxies;

namespace AgentGrains.Runtime;

public sealed partial class Silo
{
    private HttpClient? http;

    /// <summary>Runs a read-only call on the silo that owns the grain: in this process directly, else over HTTP to its address.</summary>
    private async Task<object?> InvokeReadOnlyOnAsync(string owner, GrainId grain, GrainMethod method, object?[] arguments)
    {
        if (Signals.IsLocal(owner))
        {
            return await Signals.InvokeReadOnlyAsync(owner, grain, method, arguments).ConfigureAwait(false);
        }

        var address = peers.FirstOrDefault(p => p.Id == owner)?.Address;
        if (address is null || !Uri.TryCreate(address, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new SiloUnavailableException($"Silo {owner}, which owns {grain}, has no HTTP address ('{address}'); set Silo:Address to its URL.");
        }

        http ??= new HttpClient { Timeout = options.ResponseTimeout };
        var request = new ReadOnlyRequest(grain.ToString(), method.Key, MessageCodec.EncodeArguments(method, arguments));
        ReadOnlyResponse? response;
        try
        {
            using var reply = await http.PostAsJsonAsync(new Uri(baseUri, SiloEndpointRouteBuilderExtensions.ReadOnlyPath), request, RuntimeJson.Options, StoppingToken).ConfigureAwait(false);
            reply.EnsureSuccessStatusCode();
            response = await reply.Content.ReadFromJsonAsync<ReadOnlyResponse>(RuntimeJson.Options, StoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            throw new SiloUnavailableException($"Silo {owner} at {address} did not answer a read-only call to {grain}: {ex.Message}");
        }

        if (response?.Error is { } error)
        {
            throw ExceptionCodec.Decode(error);
        }

        return MessageCodec.DecodeResult(response?.Result, method.ResultType);
    }

    /// <summary>Serves a read-only call another process forwarded here.</summary>
    internal async Task<ReadOnlyResponse> InvokeReadOnlyForPeerAsync(ReadOnlyRequest request)
    {
        try
        {
            var grain = GrainId.Parse(request.Grain);
            if (!Directory.TryGetInterface(grain.Type, out var grainInterface) || !grainInterface.TryGetMethod(request.Method, out var method) || !method.IsReadOnly)
            {
                throw new NotSupportedException($"Silo {SiloId} has no read-only method {request.Method} for {grain}.");
            }

            var arguments = MessageCodec.DecodeArguments(request.Arguments, method, StoppingToken);
            var value = status == SiloStatus.Active
                ? await InvokeTransientAsync(grain, method, arguments, forwarded: true, CancellationToken.None).ConfigureAwait(false)
                : throw new SiloUnavailableException($"Silo {SiloId} is {status.ToString().ToLowerInvariant()}.");
            return new ReadOnlyResponse(MessageCodec.EncodeResult(value, method.ResultType), null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new ReadOnlyResponse(null, ExceptionCodec.Encode(ex));
        }
    }
}
