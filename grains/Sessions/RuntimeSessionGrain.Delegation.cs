// The driver of this (home-made runtime) grain runs off the grain's scheduler on purpose and reaches
// grain state only through queued turns, so leaving the captured context is right here.
#pragma warning disable ORLEANS0014

using AgentGrains.Grains.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime;

namespace AgentGrains.Grains.Sessions;

/// <summary>Specialist calls (<see cref="SpecialistCalls"/>) on the home-made runtime: its grain factory, its durable keys, its turns.</summary>
public sealed partial class RuntimeSessionGrain : ISpecialistHost
{
    private SpecialistCalls? specialists;

    private SpecialistCalls Specialists => specialists ??= new SpecialistCalls(SessionId, Engine, catalog, delegation, timeProvider, logger, this);

    /// <inheritdoc />
    int ISpecialistHost.MaxKeyLength => RequestContext.MaxIdempotencyKeyLength;

    /// <inheritdoc />
    CancellationToken ISpecialistHost.Stopping => stopping;

    /// <inheritdoc />
    IAgentSessionGrain ISpecialistHost.Session(string sessionId) => GrainFactory.GetGrain<IAgentSessionGrain>(sessionId);

    /// <inheritdoc />
    IDisposable ISpecialistHost.UseKey(string key) => RequestContext.WithIdempotencyKey(key);

    /// <inheritdoc />
    bool ISpecialistHost.IsTransient(Exception exception) => exception is AgentGrainsException { IsTransient: true } or TimeoutException;

    /// <inheritdoc />
    bool ISpecialistHost.IsKeyReused(Exception exception) => exception is IdempotencyKeyReusedException;

    /// <inheritdoc />
    Task<bool> ISpecialistHost.IsActiveAsync(string runId) => RunTurnAsync(() => Task.FromResult(Engine.IsActive(runId)));

    /// <inheritdoc />
    Task ISpecialistHost.RecordLinkAsync(string runId, int stepNumber, int index, string childRunId) =>
        RunTurnAsync(() => ChangeAsync(() => Engine.RecordDelegation(runId, stepNumber, index, childRunId)));

    private Task<ToolOutcome> DelegateAsync(ToolsPlan plan, PlannedCall call, CancellationToken cancellationToken) =>
        Specialists.CallAsync(plan, call, cancellationToken);

    /// <summary>Cancels specialist runs off the grain's scheduler (the calls are durable messages retried through takeovers).</summary>
    private Task CancelSpecialistsAsync(IReadOnlyList<string> runIds, string reason) => Task.Run(() => Specialists.CancelAsync(runIds, reason));
}
