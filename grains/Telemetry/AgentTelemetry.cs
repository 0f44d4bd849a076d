using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Diagnostics;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Telemetry;

/// <summary>AgentGrains' traces and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named <see cref="TelemetryNames.AgentGrains"/>.</summary>
/// <remarks>
/// <para><b>Spans.</b> A run is an <c>invoke_agent {agent}</c> span, each of its steps an
/// <c>agentgrains.step</c> span under it, the step's model call a <c>chat {model}</c> span
/// (Microsoft.Extensions.AI's <c>OpenTelemetryChatClient</c>, GenAI semantic conventions) and each
/// tool or specialist call an <c>execute_tool {name}</c> span. A run goes on in grain timer turns
/// long after the request that started it returned, so its span is parented explicitly to the
/// context captured when its message was accepted (<see cref="CaptureParent"/>, kept in the run's
/// journaled state), not to whatever activity is current.</para>
/// <para><b>Cheap when nobody listens.</b> Every span starts only when the source has listeners
/// (<see cref="ActivitySource.HasListeners"/>), and no name or tag is built before that; the model
/// is wrapped for tracing only then. Instruments record nothing without a listener.</para>
/// </remarks>
public static class AgentTelemetry
{
    /// <summary>The source of runs, steps, model and tool calls.</summary>
    public static readonly ActivitySource Source = new(TelemetryNames.AgentGrains);

    /// <summary>The meter of the runtime's metrics.</summary>
    public static readonly Meter Meter = new(TelemetryNames.AgentGrains);

    /// <summary>Runs ended, by <c>status</c> (completed, failed, cancelled, budget_exceeded) and <c>agent</c>; counted once the end is journaled.</summary>
    public static readonly Counter<long> Runs = Meter.CreateCounter<long>("agentgrains.runs", "{run}", "Runs ended, by status and agent.");

    /// <summary>A step's time from its planning to its last outcome journaled (the model call, its tools or specialists, the commits), by <c>agent</c>.</summary>
    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram(
        "agentgrains.step.duration",
        "s",
        "Time of a run's step: the model call, its tool and specialist calls, and their journal commits.",
        tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });

    /// <summary>Tokens the model reported, by <c>direction</c> (input, output) and <c>agent</c>.</summary>
    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("agentgrains.tokens", "{token}", "Model tokens, by direction (input, output) and agent.");

    /// <summary>Model calls that ended without a reply, by <c>error.type</c> (the exception's type, or <c>timeout</c>) and <c>agent</c>.</summary>
    public static readonly Counter<long> ModelErrors = Meter.CreateCounter<long>("agentgrains.model.errors", "{error}", "Model calls that failed or timed out.");

    /// <summary>Tool and specialist calls that returned an error result, by <c>gen_ai.tool.name</c>.</summary>
    public static readonly Counter<long> ToolErrors = Meter.CreateCounter<long>("agentgrains.tool.errors", "{error}", "Tool and specialist calls that returned an error.");

    // Session activations in this process, observed whole: a meter provider started later (a scrape
    // endpoint, an exporter) reads the current count, not only the changes it saw.
    private static long activeSessions;

    /// <summary>Session activations on this silo, read when metrics are collected.</summary>
    public static readonly ObservableUpDownCounter<long> ActiveSessions = Meter.CreateObservableUpDownCounter(
        "agentgrains.sessions.active", static () => Volatile.Read(ref activeSessions), "{session}", "Agent session activations on this silo.");

    /// <summary>Counts an activation that loaded its session.</summary>
    public static void SessionActivated() => Interlocked.Increment(ref activeSessions);

    /// <summary>Counts an activation that went away.</summary>
    public static void SessionDeactivated() => Interlocked.Decrement(ref activeSessions);

    // One tracing wrapper per model client (the silo's, an agent's offline model, a code specialist), made when first traced.
    private static readonly ConditionalWeakTable<IChatClient, IChatClient> TracedModels = [];

    /// <summary>The W3C id (traceparent) of the current activity, for a message being accepted; null when nobody listens or nothing is current.</summary>
    public static string? CaptureParent() =>
        Source.HasListeners() && Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>Starts a run's span under <paramref name="traceParent"/> (a root span when it is null or unreadable); null when nobody listens.</summary>
    /// <remarks>Whatever activity is current is ignored: a run is the child of its message, not of the turn that happens to drive it.</remarks>
    public static Activity? StartRun(string? traceParent, string agent, string sessionId, string runId, string? parentRunId, string silo, string? resumeReason)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        Activity.Current = null;
        ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent);
        var activity = Source.StartActivity($"invoke_agent {agent}", ActivityKind.Internal, parent);
        if (activity is not null)
        {
            activity.SetTag("gen_ai.operation.name", "invoke_agent");
            activity.SetTag("gen_ai.agent.name", agent);
            activity.SetTag("agentgrains.session.id", sessionId);
            activity.SetTag("agentgrains.run.id", runId);
            activity.SetTag("agentgrains.silo", silo);
            if (parentRunId is not null)
            {
                activity.SetTag("agentgrains.run.parent_id", parentRunId);
            }

            if (resumeReason is not null)
            {
                activity.SetTag("agentgrains.run.resumed", resumeReason);
            }
        }

        Activity.Current = previous;
        return activity;
    }

    /// <summary>Ends a run's span with the status the run ended with (or the reason this activation stopped driving it), leaving the current activity as it was.</summary>
    public static void EndRun(Activity? run, string status, string? reason)
    {
        if (run is null)
        {
            return;
        }

        run.SetTag("agentgrains.run.status", status);
        if (reason is not null)
        {
            run.SetTag("agentgrains.run.reason", reason);
        }

        if (status is not (GrainInterfaces.Runs.RunStatus.Completed or GrainInterfaces.Runs.RunStatus.Running or GrainInterfaces.Runs.RunStatus.AwaitingApproval))
        {
            run.SetStatus(ActivityStatusCode.Error, reason ?? status);
        }

        EndSpan(run);
    }

    /// <summary>Stops <paramref name="span"/> from any flow, leaving that flow's current activity as it was (unless it was the span).</summary>
    public static void EndSpan(Activity span)
    {
        ArgumentNullException.ThrowIfNull(span);
        var current = Activity.Current;
        span.Stop();
        Activity.Current = current == span || current is { IsStopped: true } ? null : current;
    }

    /// <summary>Starts a step's span under the run's span and makes it current (the model and tool calls of the step nest under it); null when nobody listens.</summary>
    public static Activity? StartStep(Activity? run, int step, string agent)
    {
        if (run is null || !Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity("agentgrains.step", ActivityKind.Internal, run.Context);
        activity?.SetTag("agentgrains.step.number", step);
        activity?.SetTag("gen_ai.agent.name", agent);
        return activity;
    }

    /// <summary>Ends a step: records its duration (when it ran to its end here) and stops its span.</summary>
    /// <param name="step">The step's span, or null.</param>
    /// <param name="agent">The agent the step ran.</param>
    /// <param name="startedAt">Its <see cref="Stopwatch.GetTimestamp"/> when it was planned.</param>
    /// <param name="error">Why the step did not end (the driver stopped), or null when it ended.</param>
    public static void EndStep(Activity? step, string agent, long startedAt, string? error)
    {
        if (error is null && StepDuration.Enabled)
        {
            StepDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, new KeyValuePair<string, object?>("agent", agent));
        }

        if (step is not null)
        {
            if (error is not null)
            {
                step.SetStatus(ActivityStatusCode.Error, error);
            }

            step.Stop();
        }
    }

    /// <summary>Starts an <c>execute_tool {name}</c> span under the current activity (the step); null when nobody listens.</summary>
    public static Activity? StartTool(string name, string? callId, string idempotencyKey, bool specialist)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity($"execute_tool {name}", ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag("gen_ai.operation.name", "execute_tool");
            activity.SetTag("gen_ai.tool.name", name);
            activity.SetTag("gen_ai.tool.type", specialist ? "agent" : "function");
            if (!string.IsNullOrEmpty(callId))
            {
                activity.SetTag("gen_ai.tool.call.id", callId);
            }

            activity.SetTag("agentgrains.tool.idempotency_key", idempotencyKey);
        }

        return activity;
    }

    /// <summary>Ends a tool's span with its result (an error result marks the span and counts in <see cref="ToolErrors"/>).</summary>
    public static void EndTool(Activity? tool, string name, ToolResult result)
    {
        if (result.IsError)
        {
            if (ToolErrors.Enabled)
            {
                ToolErrors.Add(1, new KeyValuePair<string, object?>("gen_ai.tool.name", name));
            }

            tool?.SetStatus(ActivityStatusCode.Error, result.Content.Length <= 200 ? result.Content : result.Content[..200]);
        }

        tool?.Stop();
    }

    /// <summary>Counts the tokens of a model reply.</summary>
    public static void RecordTokens(string agent, UsageDetails? usage)
    {
        if (usage is null || !Tokens.Enabled)
        {
            return;
        }

        Tokens.Add(usage.InputTokenCount ?? 0, new KeyValuePair<string, object?>("direction", "input"), new KeyValuePair<string, object?>("agent", agent));
        Tokens.Add(usage.OutputTokenCount ?? 0, new KeyValuePair<string, object?>("direction", "output"), new KeyValuePair<string, object?>("agent", agent));
    }

    /// <summary>Counts a model call that ended without a reply.</summary>
    public static void RecordModelError(string agent, string errorType)
    {
        if (ModelErrors.Enabled)
        {
            ModelErrors.Add(1, new KeyValuePair<string, object?>("error.type", errorType), new KeyValuePair<string, object?>("agent", agent));
        }
    }

    /// <summary>Counts a run that ended, once its end is journaled.</summary>
    public static void RecordRunEnded(string agent, string status)
    {
        if (Runs.Enabled)
        {
            Runs.Add(1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("agent", agent));
        }
    }

    /// <summary><paramref name="model"/> as the step should call it: wrapped in Microsoft.Extensions.AI's <c>OpenTelemetryChatClient</c> (GenAI spans and metrics under this source's name) while anyone listens, else itself.</summary>
    public static IChatClient Traced(IChatClient model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Source.HasListeners()
            ? TracedModels.GetValue(model, static inner => inner.AsBuilder().UseOpenTelemetry(sourceName: TelemetryNames.AgentGrains).Build())
            : model;
    }
}
