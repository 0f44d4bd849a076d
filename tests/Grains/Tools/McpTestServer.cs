using System.Collections.Concurrent;
using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentGrains.Tests.Grains.Tools;

/// <summary>An MCP server over streamable HTTP on a loopback port: <c>echo</c>, <c>fail</c>, and tools added while it runs; it records the idempotency key of every call.</summary>
internal sealed class McpTestServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string Tool, string? Key)> calls = new();
    private readonly McpServerPrimitiveCollection<McpServerTool> tools = [];
    private WebApplication? app;

    private McpTestServer()
    {
    }

    /// <summary>The MCP endpoint.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Every call's tool and the <c>agentgrains/idempotencyKey</c> of its <c>_meta</c>, in order.</summary>
    public IReadOnlyList<(string Tool, string? Key)> Calls => [.. calls];

    /// <summary>Starts a server on <paramref name="port"/> (a free one when 0).</summary>
    public static async Task<McpTestServer> StartAsync(int port = 0)
    {
        var server = new McpTestServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        server.tools.Add(server.Tool("echo", [Description("Echoes the text.")] (string text) => text));
        server.tools.Add(server.Tool("fail", [Description("Always fails.")] string (string text) => throw new McpException($"the disk is full ({text})")));
        // One collection for every session the server opens, so a tool added later is seen by all.
        builder.Services.AddMcpServer().WithHttpTransport();
        builder.Services.PostConfigure<McpServerOptions>(options =>
        {
            options.ToolCollection = server.tools;
            options.Capabilities ??= new ServerCapabilities();
            options.Capabilities.Tools = new ToolsCapability { ListChanged = true };
        });
        var app = builder.Build();
        app.MapMcp("/mcp");
        await app.StartAsync();
        server.app = app;
        server.Url = new Uri(app.Urls.First().TrimEnd('/') + "/mcp");
        return server;
    }

    /// <summary>Adds a tool (<c>name</c>: returns its text upper-cased); the server tells its clients the list changed.</summary>
    public void AddUpperTool(string name) =>
        tools.Add(Tool(name, [Description("Upper-cases the text.")] (string text) => text.ToUpperInvariant()));

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private RecordingTool Tool(string name, Delegate method)
    {
        var inner = McpServerTool.Create(method, new McpServerToolCreateOptions { Name = name });
        return new RecordingTool(inner, (tool, key) => calls.Enqueue((tool, key)));
    }

    /// <summary>A tool that records the idempotency key of each request before it runs.</summary>
    private sealed class RecordingTool(McpServerTool inner, Action<string, string?> record) : DelegatingMcpServerTool(inner)
    {
        public override ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default)
        {
            record(ProtocolTool.Name, request.Params?.Meta?["agentgrains/idempotencyKey"]?.GetValue<string>());
            return base.InvokeAsync(request, cancellationToken);
        }
    }
}
