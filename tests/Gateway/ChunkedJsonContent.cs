using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace AgentGrains.Tests.Gateway;

/// <summary>A JSON body sent without a Content-Length (chunked), so the server learns its size only by reading it.</summary>
public sealed class ChunkedJsonContent : HttpContent
{
    private readonly byte[] bytes;

    public ChunkedJsonContent(string json)
    {
        bytes = Encoding.UTF8.GetBytes(json);
        Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        // Several writes, so a server that trusted the first chunk would be caught out.
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
