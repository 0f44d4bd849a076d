using Orleans;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>One page of a session's runs, newest first.</summary>
/// <param name="Runs">The runs, by number from the newest down.</param>
/// <param name="Next">The <c>before</c> of the next (older) page: the number of this page's oldest run; null when this page holds the session's first run.</param>
[GenerateSerializer]
[Alias("agentgrains.RunPage")]
public sealed record RunPage(IReadOnlyList<RunSummary> Runs, long? Next)
{
    /// <summary>The largest page a listing may ask for.</summary>
    public const int MaxLimit = 100;
}
