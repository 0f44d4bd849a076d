using System.Globalization;
using System.Net;
using System.Text;

namespace AgentGrains.Tests.Gateway;

/// <summary>One request of the hostile-input test: what it tries, and exactly what goes on the wire, so a failure can be sent again by hand.</summary>
/// <param name="Category">What kind of hostility it is (malformed JSON, cross-tenant id, ...).</param>
/// <param name="Method">The HTTP method, possibly one no route has.</param>
/// <param name="Path">The path and query as given to the client (before the client's own normalization).</param>
/// <param name="Authorization">The Authorization header, or null for none.</param>
/// <param name="Headers">Other request headers, sent without validation.</param>
/// <param name="Body">The body bytes, or null for no body.</param>
/// <param name="ContentType">The Content-Type header of the body, or null for none.</param>
/// <param name="Chunked">Whether the body is sent without a Content-Length.</param>
public sealed record HostileRequest(
    string Category,
    string Method,
    string Path,
    string? Authorization,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[]? Body,
    string? ContentType,
    bool Chunked)
{
    private const int PreviewBytes = 200;

    /// <summary>The request as an <see cref="HttpRequestMessage"/>.</summary>
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), new Uri(Path, UriKind.Relative));
        if (Authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", Authorization);
        }

        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (Body is not null)
        {
            HttpContent content = Chunked ? new UnsizedContent(Body) : new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }

            message.Content = content;
        }

        return message;
    }

    /// <summary>Method, path, headers and the first 200 bytes of the body (non-printable bytes as \xNN), to reproduce it.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"[{Category}] {Method} {Shorten(Path)}");
        if (Authorization is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $" | Authorization: {Shorten(Authorization)}");
        }

        foreach (var (name, value) in Headers)
        {
            text.Append(CultureInfo.InvariantCulture, $" | {name}: {Shorten(value)}");
        }

        if (ContentType is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $" | Content-Type: {ContentType}");
        }

        if (Body is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $" | body ({Body.Length} bytes{(Chunked ? ", chunked" : string.Empty)}): ");
            foreach (var b in Body.AsSpan(0, Math.Min(Body.Length, PreviewBytes)))
            {
                if (b is >= 0x20 and < 0x7f && b != (byte)'\\')
                {
                    text.Append((char)b);
                }
                else
                {
                    text.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
                }
            }
        }

        return text.ToString();
    }

    private static string Shorten(string value) =>
        value.Length <= PreviewBytes ? value : string.Create(CultureInfo.InvariantCulture, $"{value[..PreviewBytes]}... ({value.Length} characters)");

    /// <summary>A body sent without a Content-Length, so the server learns its size only by reading it.</summary>
    private sealed class UnsizedContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            const int chunk = 4096;
            for (var offset = 0; offset < bytes.Length; offset += chunk)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(chunk, bytes.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
