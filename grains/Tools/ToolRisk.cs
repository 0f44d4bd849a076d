namespace AgentGrains.Grains.Tools;

/// <summary>How much harm a tool call can do if the model calls it wrongly; shown to the person asked to approve a call.</summary>
public enum ToolRisk
{
    /// <summary>Reads or computes only; a wrong call costs a retry (calculator, clock).</summary>
    Low,

    /// <summary>Changes something outside the run that is easy to notice and undo (sends a notification).</summary>
    Medium,

    /// <summary>Changes something that is hard or impossible to undo (pays, deletes, deploys).</summary>
    High,
}
