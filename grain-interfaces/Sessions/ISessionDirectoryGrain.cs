using Orleans;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>Lists the sessions stored in the cluster's database, for callers without the silo's services (a standalone gateway).</summary>
/// <remarks>
/// A stateless worker: each silo reads the session journal itself, without activating the sessions
/// it lists. It reads only what has committed.
/// </remarks>
[Alias("agentgrains.ISessionDirectoryGrain")]
public interface ISessionDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>One page of sessions in session id order.</summary>
    /// <exception cref="UnknownAgentException">The query names an agent that is not defined.</exception>
    /// <exception cref="ArgumentException">The limit is outside 1 to <see cref="SessionQuery.MaxLimit"/>.</exception>
    [Alias("ListAsync")]
    Task<SessionPage> ListAsync(SessionQuery query);
}
