namespace AgentGrains.Grains.Tools;

/// <summary>The outcome of one tool call, as it goes back to the model.</summary>
/// <param name="Content">The tool's result, or an error text starting with <c>error:</c>.</param>
/// <param name="IsError">Whether the call failed (unknown tool, bad arguments, the tool threw or timed out).</param>
public readonly record struct ToolResult(string Content, bool IsError)
{
    /// <summary>The prefix of every error text, so the model (and a reader of the history) can tell failures apart.</summary>
    public const string ErrorPrefix = "error: ";

    /// <summary>A successful result.</summary>
    public static ToolResult Success(string content) => new(content, IsError: false);

    /// <summary>A failed call, described for the model.</summary>
    public static ToolResult Error(string message) => new(ErrorPrefix + message, IsError: true);
}
