namespace AgentGrains.Grains.Runs;

/// <summary>A step of a run as journaled: one model reply and its tool calls.</summary>
public sealed class StepState
{
    /// <summary>From 1.</summary>
    public int Number { get; set; }

    /// <summary>When the model call that was journaled started; null for steps journaled before it was recorded.</summary>
    public DateTimeOffset? ModelStartedAt { get; set; }

    /// <summary>How long the model call took, retries included.</summary>
    public double ModelDurationMs { get; set; }

    /// <summary>Input tokens the model reported.</summary>
    public long InputTokens { get; set; }

    /// <summary>Output tokens the model reported.</summary>
    public long OutputTokens { get; set; }

    /// <summary>The calls of the reply, in the model's order.</summary>
    public List<ToolCallState> Calls { get; set; } = [];

    /// <summary>Whether the tool messages of this step are in the history (written once every call finished).</summary>
    public bool Settled { get; set; }
}
