using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Tools.Mcp;

/// <summary>
/// The client of one configured MCP server: connected on first need (and tried at start), its
/// tool list kept current (re-listed on <c>notifications/tools/list_changed</c>), and dropped on a
/// transport failure so that the next call connects again (a stdio server is started again).
/// </summary>
internal sealed partial class McpServerConnection : IAsyncDisposable
{
    /// <summary>The key of the idempotency key in a <c>tools/call</c> request's <c>_meta</c>.</summary>
    public const string IdempotencyKeyMeta = "agentgrains/idempotencyKey";

    private readonly McpServerSettings settings;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly SemaphoreSlim gate = new(1, 1);
    private McpClient? client;
    private volatile Dictionary<string, Tool>? tools;

    public McpServerConnection(string name, McpServerSettings settings, ILoggerFactory loggerFactory)
    {
        Name = name;
        this.settings = settings;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger<McpServerConnection>();
    }

    /// <summary>The server's configured name.</summary>
    public string Name { get; }

    /// <summary>The server's tools as last listed; null until it has been reached once.</summary>
    public IReadOnlyDictionary<string, Tool>? Tools => tools;

    /// <summary>Connects (when not connected) and lists the tools.</summary>
    public async Task<McpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        if (client is { } current)
        {
            return current;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (client is { } connected)
            {
                return connected;
            }

            var options = new McpClientOptions
            {
                Handlers = new McpClientHandlers
                {
                    NotificationHandlers =
                    [
                        new(NotificationMethods.ToolListChangedNotification, (_, _) =>
                        {
                            // Not awaited: the handler runs on the client's message loop, which the listing needs.
                            _ = RefreshAsync();
                            return ValueTask.CompletedTask;
                        }),
                    ],
                },
            };
            var created = await McpClient.CreateAsync(CreateTransport(), options, loggerFactory, cancellationToken).ConfigureAwait(false);
            try
            {
                await ListAsync(created, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await created.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            client = created;
            LogConnected(logger, Name, tools?.Count ?? 0);
            return created;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Lists the tools again (after a list change, or a call to a tool not in the list).</summary>
    public async Task RefreshAsync()
    {
        try
        {
            if (client is { } current)
            {
                await ListAsync(current, CancellationToken.None).ConfigureAwait(false);
                LogRelisted(logger, Name, tools?.Count ?? 0);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRelistFailed(logger, Name, ex);
        }
    }

    /// <summary>Drops the client after a transport failure; the next call connects again.</summary>
    public async Task ResetAsync(McpClient failed)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(client, failed))
            {
                return;
            }

            client = null;
        }
        finally
        {
            gate.Release();
        }

        try
        {
            await failed.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogDisposeFailed(logger, Name, ex);
        }
    }

    /// <summary>Calls one tool with the call's idempotency key in the request's <c>_meta</c>.</summary>
    public static ValueTask<CallToolResult> CallAsync(McpClient client, string tool, IReadOnlyDictionary<string, object?> arguments, string idempotencyKey, CancellationToken cancellationToken) =>
        client.CallToolAsync(tool, arguments, progress: null,
            new RequestOptions { Meta = new JsonObject { [IdempotencyKeyMeta] = idempotencyKey } },
            cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref client, null) is { } current)
        {
            await current.DisposeAsync().ConfigureAwait(false);
        }

        gate.Dispose();
    }

    private async Task ListAsync(McpClient current, CancellationToken cancellationToken)
    {
        var listed = await current.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        tools = listed.ToDictionary(static t => t.ProtocolTool.Name, static t => t.ProtocolTool, StringComparer.Ordinal);
    }

    private IClientTransport CreateTransport()
    {
        if (settings.Url is { } url)
        {
            return new HttpClientTransport(new HttpClientTransportOptions
            {
                Name = Name,
                Endpoint = url,
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = settings.Headers,
            }, loggerFactory);
        }

        return new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = Name,
            Command = settings.Command!,
            Arguments = settings.Arguments,
            EnvironmentVariables = settings.Environment,
            WorkingDirectory = settings.WorkingDirectory,
        }, loggerFactory);
    }

    /// <summary>The server's description and input schema of a tool, when listed.</summary>
    public (string? Description, JsonElement? Schema) Describe(string tool) =>
        tools is { } listed && listed.TryGetValue(tool, out var found) ? (found.Description, found.InputSchema) : (null, null);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP server {Server} connected with {ToolCount} tools")]
    private static partial void LogConnected(ILogger logger, string server, int toolCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP server {Server}'s tools listed again: {ToolCount} tools")]
    private static partial void LogRelisted(ILogger logger, string server, int toolCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Server}'s tools could not be listed again")]
    private static partial void LogRelistFailed(ILogger logger, string server, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MCP server {Server}'s failed client did not close cleanly")]
    private static partial void LogDisposeFailed(ILogger logger, string server, Exception exception);
}
