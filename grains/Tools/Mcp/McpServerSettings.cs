namespace AgentGrains.Grains.Tools.Mcp;

/// <summary>One MCP server, from <c>Mcp:Servers:&lt;name&gt;</c>: a command run over stdio, or a <see cref="Url"/> (streamable HTTP).</summary>
public sealed class McpServerSettings
{
    /// <summary>The program to start for a stdio server, e.g. <c>npx</c>.</summary>
    public string? Command { get; set; }

    /// <summary>The program's arguments.</summary>
    public List<string> Arguments { get; set; } = [];

    /// <summary>Environment variables set for the program (the silo's own are inherited).</summary>
    public Dictionary<string, string?> Environment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The program's working directory; the silo's when unset.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>The endpoint of a streamable HTTP server.</summary>
    public Uri? Url { get; set; }

    /// <summary>Headers sent with every HTTP request (e.g. <c>Authorization</c>); never logged.</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The policy of the server's tools, by the server's tool name.</summary>
    public Dictionary<string, McpToolSettings> Tools { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The policy of one MCP tool, from <c>Mcp:Servers:&lt;server&gt;:Tools:&lt;tool&gt;</c>.</summary>
public sealed class McpToolSettings
{
    /// <summary>How long one call may take, retries after a reconnect included; 30 s when unset.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Shown to approvers; <see cref="ToolRisk.Medium"/> when unset.</summary>
    public ToolRisk? Risk { get; set; }

    /// <summary>Whether each call waits for a person's approval; false when unset.</summary>
    public bool? NeedsConfirmation { get; set; }

    /// <summary>Whether the tool changes the world; true when unset, since nothing says otherwise.</summary>
    public bool? SideEffects { get; set; }

    /// <summary>How many times a session may call the tool; unlimited when unset.</summary>
    public int? MaxCallsPerSession { get; set; }
}
