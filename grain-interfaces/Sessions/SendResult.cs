using AgentGrains.GrainInterfaces.Runs;
using Orleans;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>The outcome of one user message.</summary>
/// <param name="SessionId">The session's key.</param>
/// <param name="RunId">The run that answered it.</param>
/// <param name="Status">The run's status when the wait ended.</param>
/// <param name="Reply">The agent's final answer; null unless the run completed.</param>
/// <param name="Reason">Why the run ended otherwise, or is still going.</param>
/// <param name="Messages">The number of messages in the history at the run's last commit.</param>
[GenerateSerializer]
[Alias("agentgrains.SendResult")]
public sealed record SendResult(string SessionId, string RunId, string Status, string? Reply, string? Reason, long Messages)
{
    /// <summary>Whether the run has ended (the wait did not run out first).</summary>
    public bool IsTerminal => RunStatus.IsTerminal(Status);

    /// <summary>Whether the run is paused until a person approves or denies a tool call.</summary>
    public bool AwaitsApproval => Status == RunStatus.AwaitingApproval;

    /// <summary>The outcome as <paramref name="run"/> shows it.</summary>
    public static SendResult From(RunView run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new SendResult(run.SessionId, run.RunId, run.Status, run.Reply, run.Reason, run.Messages);
    }
}
