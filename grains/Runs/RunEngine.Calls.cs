using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Runs;

public sealed partial class RunEngine
{
    /// <summary>The agent answering <paramref name="run"/> now: the session's, or the one a handoff moved it to.</summary>
    public AgentDefinition AgentOf(RunState run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return catalog.Get(run.Agent ?? Session.Agent!);
    }

    /// <summary>Whether <paramref name="name"/> is a specialist that <paramref name="agent"/> may call.</summary>
    public bool IsSpecialistCall(AgentDefinition agent, string name)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return agent.Specialists.Contains(name, StringComparer.Ordinal) && catalog.TryGet(name, out var specialist) && specialist.Contract is not null;
    }

    /// <summary>
    /// Whether every call of a reply may run before the reply is journaled: valid, free of side effects,
    /// needing no person and no per-session count. Re-running such calls after a crash is harmless, and
    /// the reply and its results then commit together (one commit per step instead of two).
    /// </summary>
    public bool MayRunEarly(AgentDefinition agent, IReadOnlyList<FunctionCallContent> calls)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(calls);
        foreach (var call in calls)
        {
            // A specialist call starts a run elsewhere: its reply is journaled first, so a replay sends the same request.
            if (IsSpecialistCall(agent, call.Name)
                || tools.Validate(call, agent.Tools) is not null
                || !tools.TryGet(call.Name, out var tool)
                || tool.HasSideEffects || tool.NeedsConfirmation || tool.MaxCallsPerSession is not null)
            {
                return false;
            }
        }

        return calls.Count > 0;
    }

    /// <summary>The session a call of specialist <paramref name="name"/> runs in: one per call, or one per manager session.</summary>
    /// <remarks>
    /// Ids people give sessions never contain <c>~</c>, so these can never collide with one, and a
    /// specialist run id (<c>{session}~{n}</c>) still names its session.
    /// </remarks>
    public string SpecialistSessionId(string runId, int step, int index, string name, SpecialistContract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        return contract.KeepsConversation
            ? string.Create(CultureInfo.InvariantCulture, $"{sessionId}{RunIds.Separator}{name}")
            : string.Create(CultureInfo.InvariantCulture, $"{runId}.{step}.{index}");
    }

    /// <summary>The agents from the root manager down to <paramref name="run"/>'s agent.</summary>
    private List<string> PathOf(RunState run) => run.Path.Count > 0 ? run.Path : [run.Agent ?? Session.Agent!];

    private static bool IsHandoffCall(AgentDefinition agent, string name, [NotNullWhen(true)] out string? target) =>
        Handoffs.TryGetTarget(name, out target) && agent.Handoffs.Contains(target, StringComparer.Ordinal);

    /// <summary>Checks a call of the model's reply without running it: a tool call by the registry, a specialist call by its contract and the run's path.</summary>
    private ToolResult? ValidateCall(RunState run, AgentDefinition agent, FunctionCallContent call)
    {
        if (IsDenied(call.Name))
        {
            // Not offered to the model either; a model that names it anyway learns it is off limits here.
            return ToolResult.Error($"'{call.Name}' is not available in this session (its tenant may not use it); answer without it.");
        }

        if (IsHandoffCall(agent, call.Name, out _))
        {
            return tools.ValidateArguments(call, Handoffs.Schema);
        }

        if (!IsSpecialistCall(agent, call.Name))
        {
            // The specialists and handoffs are named too, so a model that misspells one learns what it may call.
            return tools.Validate(call, denied is null ? catalog.OfferedNames(agent) : [.. catalog.OfferedNames(agent).Where(n => !IsDenied(n))]);
        }

        if (tools.ValidateArguments(call, catalog.Get(call.Name).Contract!.RequestSchema) is { } invalid)
        {
            return invalid;
        }

        var path = PathOf(run);
        if (path.Contains(call.Name, StringComparer.Ordinal))
        {
            return DelegationErrors.Of(
                DelegationErrors.CycleDetected,
                $"calling '{call.Name}' from {string.Join(" → ", path)} would run '{call.Name}' inside its own call; no run was started. Answer from what you have, or call another specialist.");
        }

        if (path.Count > delegation.MaxDepth)
        {
            return DelegationErrors.Of(
                DelegationErrors.DepthExceeded,
                $"calling '{call.Name}' from {string.Join(" → ", path)} would go {path.Count.ToString(CultureInfo.InvariantCulture)} levels of specialists deep, and at most {delegation.MaxDepth.ToString(CultureInfo.InvariantCulture)} are allowed; no run was started. Do this part yourself.");
        }

        return null;
    }

    /// <summary>Whether every call the run still waits for is a specialist run already started (they have watchdogs of their own).</summary>
    private static bool WaitsOnlyForSpecialists(RunState run) =>
        run.Steps.LastOrDefault() is { Settled: false } step
        && step.Calls.Where(static c => c.IsRunnable).All(static c => c.ChildRunId is not null)
        && step.Calls.Any(static c => c.IsRunnable);

    /// <summary>The specialist runs <paramref name="run"/> still waits for; null when none.</summary>
    private List<string>? SpecialistRunsOf(RunState run)
    {
        List<string>? children = null;
        // An agent no longer defined still has its runs cancelled: only their journaled links are known then.
        var agent = catalog.TryGet(run.Agent ?? Session.Agent!, out var definition) ? definition : null;
        foreach (var step in run.Steps)
        {
            foreach (var call in step.Calls.Where(static c => c.IsRunnable))
            {
                // A call whose link is not journaled yet may still have started its run; a session per
                // call has a known run id, so that run is cancelled too.
                var child = call.ChildRunId
                    ?? (agent is not null && IsSpecialistCall(agent, call.Name) && catalog.Get(call.Name).Contract is { KeepsConversation: false } contract
                        ? RunIds.Format(SpecialistSessionId(run.RunId, step.Number, call.Index, call.Name, contract), 1)
                        : null);
                if (child is not null)
                {
                    (children ??= []).Add(child);
                }
            }
        }

        return children;
    }
}
