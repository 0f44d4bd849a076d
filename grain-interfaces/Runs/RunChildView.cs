using Orleans;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>A specialist run under a manager run: one node of the run tree.</summary>
/// <param name="RunId">The specialist run.</param>
/// <param name="Agent">The specialist agent.</param>
/// <param name="Step">The manager step whose reply called the specialist.</param>
/// <param name="CallIndex">The call's position in that reply.</param>
/// <param name="Status">The specialist run's status (as the manager last saw it, until the gateway reads the run itself).</param>
/// <param name="Silo">The silo that holds the specialist's session, when read from the run itself.</param>
/// <param name="Tokens">Tokens the specialist run used itself, when read from the run itself.</param>
/// <param name="Children">The specialist's own specialist runs, when read from the run itself.</param>
[GenerateSerializer]
[Alias("agentgrains.RunChildView")]
public sealed record RunChildView(
    string RunId,
    string Agent,
    int Step,
    int CallIndex,
    string Status,
    string? Silo = null,
    long? Tokens = null,
    IReadOnlyList<RunChildView>? Children = null);
