using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Grains.Runs;

/// <summary>What <see cref="SpecialistCalls"/> needs from the grain that drives a manager run: other sessions, message keys, its own turns.</summary>
public interface ISpecialistHost
{
    /// <summary>The session grain <paramref name="sessionId"/>.</summary>
    IAgentSessionGrain Session(string sessionId);

    /// <summary>Sends the calls made until the scope ends with <paramref name="key"/> as their idempotency key.</summary>
    IDisposable UseKey(string key);

    /// <summary>The longest idempotency key the transport accepts.</summary>
    int MaxKeyLength { get; }

    /// <summary>Whether a failed call may succeed if sent again with the same key (a silo died, a stale activation refused it).</summary>
    bool IsTransient(Exception exception);

    /// <summary>Whether a call was refused because its idempotency key was used before for another request.</summary>
    bool IsKeyReused(Exception exception);

    /// <summary>Whether the manager's run is still the session's active run (read in a turn).</summary>
    Task<bool> IsActiveAsync(string runId);

    /// <summary>Journals which specialist run a call started (in a turn).</summary>
    Task RecordLinkAsync(string runId, int stepNumber, int index, string childRunId);

    /// <summary>Cancelled when the manager's activation goes away.</summary>
    CancellationToken Stopping { get; }
}
