namespace AgentGrains.Grains.Sessions;

/// <summary>The small persistent state of an agent session (its conversation is a separate log).</summary>
/// <remarks>
/// Written once per user message, so it stays a few fields: anything that grows with the session
/// belongs in the history log. New fields must have defaults that read older rows correctly.
/// </remarks>
public sealed class AgentSessionState
{
    /// <summary>The agent the session talks to; null until the session is created.</summary>
    public string? Agent { get; set; }

    /// <summary>When the session was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>User messages answered.</summary>
    public long Turns { get; set; }

    /// <summary>Model calls made (steps), over all turns.</summary>
    public long ModelCalls { get; set; }

    /// <summary>Tool calls made, over all turns (failed ones included).</summary>
    public long ToolCalls { get; set; }

    /// <summary>Input tokens the model reported, over all turns.</summary>
    public long InputTokens { get; set; }

    /// <summary>Output tokens the model reported, over all turns.</summary>
    public long OutputTokens { get; set; }
}
