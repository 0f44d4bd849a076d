using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace AgentGrains.Grains.Tools.Mcp;

/// <summary>
/// A tool of an MCP server as a function the model calls (<c>mcp__server__tool</c>): its description
/// and input schema are the server's as last listed (an open object until the server has been
/// reached), and a call goes to the server with the call's idempotency key in <c>_meta</c>.
/// </summary>
/// <remarks>
/// The run engine does not retry a failed tool call, so the call retries itself: a transport failure
/// (the server died, the connection dropped) drops the client, connects again (starting a stdio server
/// anew) and sends the call again with the same idempotency key, until it succeeds or the tool's
/// timeout cancels it. An answer from the server (an error result or a JSON-RPC error) is not retried.
/// </remarks>
internal sealed class McpTool : AIFunction
{
    private static readonly JsonElement OpenSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement.Clone();
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(250);
    private const int MaxAttempts = 8;

    private readonly McpServerConnection connection;
    private readonly string tool;

    public McpTool(McpServerConnection connection, string tool)
    {
        this.connection = connection;
        this.tool = tool;
        Name = McpToolNames.ForModel(connection.Name, tool);
    }

    public override string Name { get; }

    public override string Description =>
        connection.Describe(tool).Description is { Length: > 0 } description
            ? description
            : $"Tool '{tool}' of the MCP server '{connection.Name}'.";

    public override JsonElement JsonSchema => connection.Describe(tool).Schema ?? OpenSchema;

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var context = arguments.Context is not null && arguments.Context.TryGetValue(typeof(ToolContext), out var value) && value is ToolContext bound
            ? bound
            : throw new InvalidOperationException($"MCP tool '{Name}' takes a ToolContext, and none was given; invoke it through ToolRegistry.InvokeAsync.");
        var values = arguments.ToDictionary(static a => a.Key, static a => a.Value, StringComparer.Ordinal);
        for (var attempt = 1; ; attempt++)
        {
            ModelContextProtocol.Client.McpClient client;
            try
            {
                client = await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A server that cannot be reached is tried again until the timeout: it may be restarting.
                await Task.Delay(RetryDelay * Math.Min(attempt, 8), cancellationToken).ConfigureAwait(false);
                if (attempt >= 3)
                {
                    throw new InvalidOperationException($"MCP server '{connection.Name}' cannot be reached for tool '{tool}': {ex.Message}", ex);
                }

                continue;
            }

            if (connection.Tools is { } listed && !listed.ContainsKey(tool))
            {
                await connection.RefreshAsync().ConfigureAwait(false);
                if (connection.Tools is { } relisted && !relisted.ContainsKey(tool))
                {
                    throw new InvalidOperationException(
                        $"MCP server '{connection.Name}' has no tool '{tool}' (its tools: {(relisted.Count == 0 ? "none" : string.Join(", ", relisted.Keys.Order(StringComparer.Ordinal)))}).");
                }
            }

            CallToolResult result;
            try
            {
                result = await McpServerConnection.CallAsync(client, tool, values, context.IdempotencyKey, cancellationToken).ConfigureAwait(false);
            }
            catch (McpProtocolException ex)
            {
                throw new InvalidOperationException($"MCP server '{connection.Name}' refused tool '{tool}': {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The transport failed mid-call: connect again and send the same call (same key) again.
                await connection.ResetAsync(client).ConfigureAwait(false);
                if (attempt >= MaxAttempts)
                {
                    throw new InvalidOperationException($"MCP server '{connection.Name}' failed during tool '{tool}' {MaxAttempts} times: {ex.Message}", ex);
                }

                await Task.Delay(RetryDelay * Math.Min(attempt, 8), cancellationToken).ConfigureAwait(false);
                continue;
            }

            var text = Format(result);
            return result.IsError == true
                ? throw new InvalidOperationException($"MCP server '{connection.Name}' tool '{tool}' returned an error: {text}")
                : text;
        }
    }

    private static string Format(CallToolResult result)
    {
        var builder = new StringBuilder();
        foreach (var block in result.Content)
        {
            if (builder.Length > 0)
            {
                builder.Append('\n');
            }

            builder.Append(block is TextContentBlock text
                ? text.Text
                : JsonSerializer.Serialize(block, McpJsonUtilities.DefaultOptions));
        }

        if (builder.Length == 0 && result.StructuredContent is { } structured)
        {
            builder.Append(JsonSerializer.Serialize(structured, McpJsonUtilities.DefaultOptions));
        }

        return builder.ToString();
    }
}
