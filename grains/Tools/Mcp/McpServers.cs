using AgentGrains.Grains.Agents;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Tools.Mcp;

/// <summary>
/// The MCP servers configured under <c>Mcp:Servers</c>, and the typed tools (<c>mcp:server/tool</c>)
/// that agents name from them. A hosted service tries each server at start; one that is down does
/// not stop the silo, and is connected on the first call to one of its tools.
/// </summary>
public sealed partial class McpServers : IHostedService, IAsyncDisposable
{
    /// <summary>The configuration section of the servers.</summary>
    public const string SectionName = "Mcp:Servers";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartAttempt = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (McpServerSettings Settings, McpServerConnection Connection)> servers = new(StringComparer.Ordinal);
    private readonly ILogger logger;

    /// <summary>Reads and checks the servers' configuration.</summary>
    /// <exception cref="InvalidOperationException">A server's configuration is not valid; the message says what to change.</exception>
    public McpServers(IConfiguration? configuration, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        logger = loggerFactory.CreateLogger<McpServers>();
        var configured = configuration?.GetSection(SectionName).Get<Dictionary<string, McpServerSettings>>() ?? [];
        foreach (var (name, settings) in configured.OrderBy(static s => s.Key, StringComparer.Ordinal))
        {
            if (name.Length == 0 || !name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                throw new InvalidOperationException($"{SectionName}:{name} is not a valid server name; use ASCII letters, digits, '_' or '-'.");
            }

            if ((settings.Url is null) == string.IsNullOrWhiteSpace(settings.Command))
            {
                throw new InvalidOperationException($"{SectionName}:{name} needs either Command (a stdio server) or Url (a streamable HTTP server), not both or neither.");
            }

            if (settings.Url is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
            {
                throw new InvalidOperationException($"{SectionName}:{name}:Url must be an absolute http or https URL.");
            }

            servers[name] = (settings, new McpServerConnection(name, settings, loggerFactory));
        }
    }

    /// <summary>The configured servers' names.</summary>
    public IReadOnlyList<string> Names => [.. servers.Keys];

    /// <summary>The connection to a configured server (for tests and diagnostics).</summary>
    internal McpServerConnection? Connection(string server) => servers.TryGetValue(server, out var found) ? found.Connection : null;

    /// <summary>One typed tool for each distinct <c>mcp:server/tool</c> among the agents' tools whose server is configured.</summary>
    /// <exception cref="ArgumentException">A tool's settings are not valid, or its model name is too long.</exception>
    public IEnumerable<AgentTool> ToolsFor(IEnumerable<AgentDefinition> agents)
    {
        ArgumentNullException.ThrowIfNull(agents);
        var names = agents.SelectMany(static a => a.Tools).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!McpToolNames.TryParse(name, out var server, out var tool) || !servers.TryGetValue(server, out var found))
            {
                continue;
            }

            var policy = found.Settings.Tools.GetValueOrDefault(tool) ?? new McpToolSettings();
            var settings = new AgentToolSettings
            {
                Timeout = policy.Timeout ?? DefaultTimeout,
                Risk = policy.Risk ?? ToolRisk.Medium,
                NeedsConfirmation = policy.NeedsConfirmation ?? false,
                HasSideEffects = policy.SideEffects ?? true,
                MaxCallsPerSession = policy.MaxCallsPerSession,
            };
            yield return AgentTool.FromFunction(new McpTool(found.Connection, tool), settings, alias: name);
        }
    }

    /// <summary>Tries every server once; a server that is down is logged and connected later.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(servers.Values.Select(async s =>
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(StartAttempt);
            try
            {
                await s.Connection.ConnectAsync(attempt.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogNotReached(logger, s.Connection.Name, ex);
            }
        })).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Closes every client (and stops stdio servers).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (_, connection) in servers.Values)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Server} could not be reached at start; its tools are connected on first use")]
    private static partial void LogNotReached(ILogger logger, string server, Exception exception);
}
