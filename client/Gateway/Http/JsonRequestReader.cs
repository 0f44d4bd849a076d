using System.Buffers;
using System.Text.Json;
using AgentGrains.Client.Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace AgentGrains.Client.Gateway.Http;

/// <summary>Reads a JSON request body within <see cref="GatewayOptions.MaxRequestBodyBytes"/>.</summary>
/// <remarks>
/// Endpoints read their bodies here rather than through minimal-API binding, because binding
/// answers a malformed body with an empty 400 and swallows a too-large body as an I/O error; here
/// every refusal is a <see cref="GatewayProblemException"/> that the exception handler maps.
/// The limit holds for bodies that declare a Content-Length and for chunked ones, whatever the
/// server enforces, and nothing is parsed (so no grain is called) until the whole body is in.
/// </remarks>
internal sealed class JsonRequestReader(IOptions<GatewayOptions> options, IOptions<HttpJsonOptions> jsonOptions)
{
    private const int ChunkBytes = 16 * 1024;

    public async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.HasJsonContentType())
        {
            throw GatewayProblemException.UnsupportedMediaType(request.ContentType);
        }

        var limit = options.Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            throw GatewayProblemException.PayloadTooLarge(limit);
        }

        // Kestrel's own limit (30 MB by default) would otherwise refuse a configured limit above it,
        // and with it set Kestrel stops reading an oversized chunked body at the limit too.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        using var body = new MemoryStream((int)Math.Min(request.ContentLength ?? ChunkBytes, limit));
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (body.Length + read > limit)
                {
                    throw GatewayProblemException.PayloadTooLarge(limit);
                }

                body.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        if (body.Length == 0)
        {
            throw GatewayProblemException.MalformedJson("The request body is empty; send a JSON object.");
        }

        T? value;
        try
        {
            var typeInfo = jsonOptions.Value.SerializerOptions.GetTypeInfo(typeof(T));
            value = (T?)JsonSerializer.Deserialize(body.GetBuffer().AsSpan(0, (int)body.Length), typeInfo);
        }
        catch (JsonException ex)
        {
            // The serializer's own message names .NET types; the position is what a client can act on.
            var at = ex.Path is null ? string.Empty : $" at '{ex.Path}'";
            var line = ex.LineNumber is { } l ? $" (line {l + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})" : string.Empty;
            throw GatewayProblemException.MalformedJson(
                $"The request body is not valid JSON, has a value of the wrong type, or has an unknown property{at}{line}.");
        }

        return value ?? throw GatewayProblemException.MalformedJson("The request body is JSON null; send a JSON object.");
    }
}
