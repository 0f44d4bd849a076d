using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentGrains.Tests.McpServer;

// An MCP server over stdio. Every call appends "<pid> <tool> <idempotency key>" to the file named by
// MCP_TEST_CALL_LOG. `hold` waits (up to a minute) unless its key is already in that file, so a test can
// kill the process while a call is held and see the same call arrive again at the next process.
internal static class McpTestServerProgram
{
    private static readonly Lock Gate = new();

    public static async Task Main()
    {
        var callLog = Environment.GetEnvironmentVariable("MCP_TEST_CALL_LOG")
            ?? throw new InvalidOperationException("Set MCP_TEST_CALL_LOG to the file that records the calls.");
        var builder = Host.CreateEmptyApplicationBuilder(settings: null);
        builder.Logging.ClearProviders();
        builder.Services.AddMcpServer().WithStdioServerTransport().WithTools(
        [
            McpServerTool.Create(
                [Description("Echoes the text.")] (RequestContext<CallToolRequestParams> request, string text) =>
                {
                    Record(callLog, "echo", request);
                    return text;
                },
                new McpServerToolCreateOptions { Name = "echo" }),
            McpServerTool.Create(
                [Description("Returns the text once the call has been seen before; holds it the first time.")]
                async (RequestContext<CallToolRequestParams> request, string text, CancellationToken cancellationToken) =>
                {
                    var key = Key(request);
                    var seen = File.Exists(callLog) && File.ReadLines(callLog).Any(line => line.EndsWith($" hold {key}", StringComparison.Ordinal));
                    Record(callLog, "hold", request);
                    if (!seen)
                    {
                        await Task.Delay(TimeSpan.FromMinutes(1), cancellationToken);
                    }

                    return $"held {text}";
                },
                new McpServerToolCreateOptions { Name = "hold" }),
        ]);
        await builder.Build().RunAsync();
    }

    private static string Key(RequestContext<CallToolRequestParams> request) =>
        request.Params?.Meta?["agentgrains/idempotencyKey"]?.GetValue<string>() ?? "-";

    private static void Record(string callLog, string tool, RequestContext<CallToolRequestParams> request)
    {
        lock (Gate)
        {
            File.AppendAllText(callLog, string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {tool} {Key(request)}\n"));
        }
    }
}
