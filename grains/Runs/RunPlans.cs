using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Runs;

/// <summary>The driver's next action, decided from the journal by <see cref="RunEngine.PlanAsync"/>.</summary>
public abstract record DriverPlan;

/// <summary>Ask the model for step <paramref name="Step"/>; <paramref name="TimeoutIsWallTime"/> when the run's wall-time budget ends before the model timeout.</summary>
public sealed record ModelPlan(string RunId, int Step, List<ChatMessage> Messages, ChatOptions Options, TimeSpan Timeout, bool TimeoutIsWallTime, AgentDefinition Agent) : DriverPlan;

/// <summary>Ask the agent's model for the session's new running summary (<paramref name="Request"/>), covering the history before position <paramref name="Through"/>.</summary>
public sealed record SummaryPlan(ModelPlan Request, long Through) : DriverPlan;

/// <summary>Recall the facts of user <paramref name="UserId"/> relevant to <paramref name="Query"/> (the run's message) before step <paramref name="Step"/>, for an agent with memory.</summary>
public sealed record MemoryPlan(string RunId, int Step, string UserId, string Query, AgentDefinition Agent) : DriverPlan;

/// <summary>One call of a journaled reply to (re-)invoke with its key.</summary>
public sealed record PlannedCall(int Index, string CallId, string Name, string Arguments);

/// <summary>The calls of a journaled reply to (re-)invoke; <paramref name="WallTimeEnd"/> is when the run's wall-time budget runs out (approval waits excluded so far).</summary>
public sealed record ToolsPlan(string RunId, int Step, List<PlannedCall> Calls, AgentDefinition Agent, IReadOnlyList<string> Path, DateTimeOffset WallTimeEnd) : DriverPlan;

/// <summary>A model call's reply, or the status and reason it ends the run with; <paramref name="StartedAt"/> is when the call was made.</summary>
public sealed record ModelOutcome(ChatResponse? Response, string? FailStatus, string? Reason, double DurationMs, DateTimeOffset? StartedAt = null);

/// <summary>A tool's or a specialist's result, with when the call was made; a specialist's carries the tokens and cost of its run (and its descendants').</summary>
public sealed record ToolOutcome(ToolResult Result, double DurationMs, long DelegatedTokens = 0, decimal? DelegatedCost = null, DateTimeOffset? StartedAt = null);
