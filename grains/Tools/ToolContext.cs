using System.Globalization;

namespace AgentGrains.Grains.Tools;

/// <summary>Where a tool call comes from: its session, run, step and position, and the key that makes it idempotent.</summary>
/// <remarks>
/// <para>A tool method receives it by declaring a parameter of this type. The runtime binds it;
/// it is not part of the JSON schema the model sees, so the model can neither see nor forge it.</para>
/// <para>The engine may invoke one call more than once (it crashed after the tool started and
/// before the result was journaled) but always with the same <see cref="IdempotencyKey"/>. A tool
/// with side effects passes that key to the system it changes (an <c>Idempotency-Key</c> header, a
/// unique constraint) so the effect happens once. The key is built by the runtime from the run's
/// position and never from the model's tool-call id, which a model may repeat or omit.</para>
/// </remarks>
public sealed class ToolContext
{
    /// <summary>Creates the context of one call.</summary>
    /// <param name="sessionId">The session the run belongs to.</param>
    /// <param name="runId">The run, unique within the silo's storage.</param>
    /// <param name="step">The run's step (model call) that produced the call, from 0 or 1 as the engine counts.</param>
    /// <param name="callIndex">The call's position among that step's calls, from 0.</param>
    /// <param name="toolName">The tool called, as the model named it.</param>
    /// <exception cref="ArgumentException">The session or run id is blank, or a position is negative.</exception>
    public ToolContext(string sessionId, string runId, int step, int callIndex, string toolName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfNegative(callIndex);
        // Not checked for blankness: it is the model's text, and an unknown name is the model's error to read, not the engine's.
        ArgumentNullException.ThrowIfNull(toolName);
        SessionId = sessionId;
        RunId = runId;
        Step = step;
        CallIndex = callIndex;
        ToolName = toolName;
        IdempotencyKey = string.Create(CultureInfo.InvariantCulture, $"{runId}:{step}:{callIndex}");
    }

    /// <summary>The session the run belongs to.</summary>
    public string SessionId { get; }

    /// <summary>The session's user (whose long-term memory the memory tools use); null for a session without one.</summary>
    public string? UserId { get; init; }

    /// <summary>The session's tenant (whose outbox and memories the tools use); null for a session of no tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>The run the call belongs to.</summary>
    public string RunId { get; }

    /// <summary>The run's step (model call) that produced the call.</summary>
    public int Step { get; }

    /// <summary>The call's position among its step's calls, from 0.</summary>
    public int CallIndex { get; }

    /// <summary>The tool called.</summary>
    public string ToolName { get; }

    /// <summary><c>{RunId}:{Step}:{CallIndex}</c>: the same for every invocation of this call, different for every other call.</summary>
    public string IdempotencyKey { get; }

    /// <inheritdoc />
    public override string ToString() => $"{ToolName} ({IdempotencyKey})";
}
