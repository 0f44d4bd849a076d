using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Memory;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Sessions;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Grains.Telemetry;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Runs;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Runs;

/// <summary>The slow calls of a step, made outside any turn: the model, and the tools of a reply.</summary>
/// <remarks>
/// Nothing here touches the session's state: outcomes go back to <see cref="RunEngine"/> to be
/// journaled. Every wait is bounded: a model call by the plan's timeout, a tool by its own.
/// </remarks>
public sealed partial class StepCalls
{
    private readonly string sessionId;
    private readonly string? tenant;
    private readonly RunEngine engine;
    private readonly ToolRegistry tools;
    private readonly IChatClient model;
    private readonly AgentMemory memory;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;

    /// <summary>Creates the calls of one session's activation.</summary>
    public StepCalls(string sessionId, string? tenant, RunEngine engine, ToolRegistry tools, IChatClient model, AgentMemory memory, TimeProvider timeProvider, ILogger logger)
    {
        this.tenant = tenant;
        this.memory = memory;
        this.sessionId = sessionId;
        this.engine = engine;
        this.tools = tools;
        this.model = model;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    /// <summary>Asks the model for the plan's step; a timeout or an error becomes the outcome that ends the run.</summary>
    public async Task<ModelOutcome> CallModelAsync(ModelPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var startedAt = timeProvider.GetUtcNow();
        var started = timeProvider.GetTimestamp();
        using var timeout = new CancellationTokenSource(plan.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var response = await AgentTelemetry.Traced(ModelFor(plan.Agent)).GetResponseAsync(plan.Messages, plan.Options, linked.Token).ConfigureAwait(false);
            AgentTelemetry.RecordTokens(plan.Agent.Name, response.Usage);
            return new ModelOutcome(response, null, null, timeProvider.GetElapsedTime(started).TotalMilliseconds, startedAt);
        }
        catch (Exception ex) when (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            AgentTelemetry.RecordModelError(plan.Agent.Name, "timeout");
            return plan.TimeoutIsWallTime
                ? new ModelOutcome(null, RunStatus.BudgetExceeded, $"wall-time budget exhausted: {Seconds(plan.Agent.MaxWallTime)} s of {Seconds(plan.Agent.MaxWallTime)} s", 0)
                : new ModelOutcome(null, RunStatus.Failed, $"the model did not answer within {Seconds(plan.Timeout)} s (step {plan.Step})", 0);
        }
        catch (ModelException ex)
        {
            AgentTelemetry.RecordModelError(plan.Agent.Name, ex.StatusCode is { } status ? status.ToString(CultureInfo.InvariantCulture) : nameof(ModelException));
            LogModelFailed(logger, sessionId, plan.RunId, plan.Step, ex);
            return new ModelOutcome(null, RunStatus.Failed, $"model error at step {plan.Step}: {ex.Message}", 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            AgentTelemetry.RecordModelError(plan.Agent.Name, ex.GetType().FullName ?? ex.GetType().Name);
            LogModelFailed(logger, sessionId, plan.RunId, plan.Step, ex);
            return new ModelOutcome(null, RunStatus.Failed, $"the model call failed at step {plan.Step}: {ex.Message}", 0);
        }
    }

    /// <summary>How long recalling the user's facts for a run may take before the run goes on without them.</summary>
    public static readonly TimeSpan RecallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Recalls the facts of the plan's user relevant to its run's message; a failure or timeout is returned, not thrown (the run goes on without them).</summary>
    public async Task<(IReadOnlyList<string> Facts, string? Failure)> RecallAsync(MemoryPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        using var timeout = new CancellationTokenSource(RecallTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var facts = await memory.RecallAsync(TenantKeys.Key(tenant, plan.UserId), plan.Query, AgentMemory.DefaultLimit, linked.Token).ConfigureAwait(false);
            return ([.. facts.Select(static f => f.Text)], null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRecallFailed(logger, sessionId, plan.RunId, ex);
            return ([], timeout.IsCancellationRequested ? $"no answer within {Seconds(RecallTimeout)} s" : ex.Message);
        }
    }

    /// <summary>Runs the calls of a reply before it is journaled when <see cref="RunEngine.MayRunEarly"/> allows it; null otherwise.</summary>
    public async Task<IReadOnlyList<ToolOutcome>?> RunEarlyAsync(ModelPlan plan, ChatResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var calls = RunEngine.CallsOf(response);
        if (!engine.MayRunEarly(plan.Agent, calls))
        {
            return null;
        }

        return await Task.WhenAll(calls.Select((call, index) => InvokeToolAsync(plan.RunId, plan.Step, index, call, plan.Agent, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Invokes one tool call with its key (<c>{runId}:{step}:{index}</c>); errors, timeouts and bad arguments become an error result.</summary>
    public async Task<ToolOutcome> InvokeToolAsync(string runId, int step, int index, FunctionCallContent call, AgentDefinition agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(agent);
        var startedAt = timeProvider.GetUtcNow();
        var started = timeProvider.GetTimestamp();
        var context = new ToolContext(sessionId, runId, step, index, call.Name) { UserId = engine.UserId, Tenant = tenant };
        var span = AgentTelemetry.StartTool(call.Name, call.CallId, context.IdempotencyKey, specialist: false);
        ToolResult result;
        try
        {
            result = await tools.InvokeAsync(call, context, engine.AllowedTools(agent), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Cancelled (the registry turns every other failure into an error result).
            span?.Stop();
            throw;
        }

        AgentTelemetry.EndTool(span, call.Name, result);
        return new ToolOutcome(result, timeProvider.GetElapsedTime(started).TotalMilliseconds, StartedAt: startedAt);
    }

    /// <summary>Invokes a planned call of a journaled reply (a tool; specialists are called elsewhere).</summary>
    public Task<ToolOutcome> InvokeToolAsync(ToolsPlan plan, PlannedCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(call);
        var content = FunctionCallContent.CreateFromParsedArguments(call.Arguments, call.CallId, call.Name, HistoryMessages.ParseArguments);
        return InvokeToolAsync(plan.RunId, plan.Step, call.Index, content, plan.Agent, cancellationToken);
    }

    /// <summary>The model <paramref name="agent"/> talks to: its own (a code specialist), its offline model while the silo runs the scripted one, or the silo's.</summary>
    private IChatClient ModelFor(AgentDefinition agent) =>
        agent.ChatClient ?? (agent.OfflineModel is { } offline && model is ScriptedChatClient ? offline : model);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: the user's facts for run {RunId} could not be recalled; it goes on without them")]
    private static partial void LogRecallFailed(ILogger logger, string sessionId, string runId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: model call of run {RunId} failed at step {Step}")]
    private static partial void LogModelFailed(ILogger logger, string sessionId, string runId, int step, Exception exception);
}
