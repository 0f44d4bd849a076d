using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace AgentGrains.Grains.Tools.Mcp;

/// <summary>
/// The two names of an MCP tool: <c>mcp:&lt;server&gt;/&lt;tool&gt;</c>, what agent definitions and
/// configuration use, and <c>mcp__&lt;server&gt;__&lt;tool&gt;</c>, what the model sees and calls
/// (model APIs take only ASCII letters, digits, <c>_</c> and <c>-</c>, at most 64).
/// </summary>
public static class McpToolNames
{
    /// <summary>The start of every configured MCP tool name.</summary>
    public const string Prefix = "mcp:";

    /// <summary>Splits <c>mcp:server/tool</c>; false for any other name.</summary>
    public static bool TryParse(string name, [NotNullWhen(true)] out string? server, [NotNullWhen(true)] out string? tool)
    {
        server = null;
        tool = null;
        if (name is null || !name.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = name[Prefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
        {
            return false;
        }

        server = rest[..slash];
        tool = rest[(slash + 1)..];
        return true;
    }

    /// <summary>The configured name of a server's tool: <c>mcp:server/tool</c>.</summary>
    public static string Configured(string server, string tool) => $"{Prefix}{server}/{tool}";

    /// <summary>The name the model sees: <c>mcp__server__tool</c>, any other character as <c>_</c>.</summary>
    public static string ForModel(string server, string tool)
    {
        var builder = new StringBuilder("mcp__");
        Append(builder, server);
        builder.Append("__");
        Append(builder, tool);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, string text)
    {
        foreach (var c in text)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        }
    }
}
