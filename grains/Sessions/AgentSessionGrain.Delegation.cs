using AgentGrains.Grains.Runs;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Sessions;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Grains.Sessions;

/// <summary>Specialist calls (<see cref="SpecialistCalls"/>) on Orleans: grain references, keys in the request context, turns as grain timers.</summary>
public sealed partial class AgentSessionGrain : ISpecialistHost
{
    private SpecialistCalls? specialists;

    private SpecialistCalls Specialists => specialists ??= new SpecialistCalls(SessionId, Engine, catalog, delegation, timeProvider, logger, this);

    /// <inheritdoc />
    int ISpecialistHost.MaxKeyLength => IdempotencyKey.MaxLength;

    /// <inheritdoc />
    CancellationToken ISpecialistHost.Stopping => Stopping;

    /// <inheritdoc />
    // A specialist's session belongs to the manager's tenant.
    IAgentSessionGrain ISpecialistHost.Session(string sessionId) => GrainFactory.GetGrain<IAgentSessionGrain>(TenantKeys.Key(Tenant, sessionId));

    /// <inheritdoc />
    IDisposable ISpecialistHost.UseKey(string key) => IdempotencyKey.Use(key);

    /// <inheritdoc />
    bool ISpecialistHost.IsTransient(Exception exception) => SessionCalls.IsTransient(exception);

    /// <inheritdoc />
    bool ISpecialistHost.IsKeyReused(Exception exception) => exception is MessageKeyReusedException;

    /// <inheritdoc />
    Task<bool> ISpecialistHost.IsActiveAsync(string runId) => InTurnAsync(() => Task.FromResult(Engine.IsActive(runId)));

    /// <inheritdoc />
    Task ISpecialistHost.RecordLinkAsync(string runId, int stepNumber, int index, string childRunId) =>
        InTurnAsync(() => ChangeTurnAsync(() => Engine.RecordDelegation(runId, stepNumber, index, childRunId)));

    private Task<ToolOutcome> DelegateAsync(ToolsPlan plan, PlannedCall call, CancellationToken cancellationToken) =>
        Specialists.CallAsync(plan, call, cancellationToken);

    private Task CancelSpecialistsAsync(IReadOnlyList<string> runIds, string reason) => Specialists.CancelAsync(runIds, reason);
}
