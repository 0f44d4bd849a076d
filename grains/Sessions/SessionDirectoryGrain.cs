using AgentGrains.Grains.Agents;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Storage.Journal;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace AgentGrains.Grains.Sessions;

/// <summary>Answers <see cref="ISessionDirectoryGrain"/> from the session journal, without activating the sessions it lists.</summary>
/// <remarks>
/// <para>A stateless worker: each silo reads the database itself. A page is one keyset read of the
/// journal's heads (<see cref="ISessionJournal.ListAsync"/>), by the agent the journal labels each
/// session with at its first commit; each head's state gives the rest (its status, creation time).</para>
/// <para>It lists what has committed: a session's status is as of its last commit.</para>
/// </remarks>
[StatelessWorker]
[GrainType("session-directory")]
public sealed class SessionDirectoryGrain(ISessionJournal journal, AgentCatalog catalog) : Grain, ISessionDirectoryGrain
{
    // Sessions are journaled under their grain id, agent-session/{id}.
    private static readonly string KeyPrefix = GrainId.Create("agent-session", "x").ToString()[..^1];

    /// <inheritdoc />
    public async Task<SessionPage> ListAsync(SessionQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, SessionQuery.MaxLimit);
        if (query.Agent is { } agent)
        {
            // An unknown name is a mistake worth telling (a typo would otherwise list nothing).
            catalog.Get(agent);
        }

        // A tenant's sessions are one range of grain ids: agent-session/{tenant}/...
        var prefix = query.Tenant is { } tenant ? KeyPrefix + TenantKeys.Key(tenant, string.Empty) : KeyPrefix;
        var page = await journal.ListAsync(
            new JournalListQuery(prefix + query.After, query.Limit, query.Agent, query.IncludeSpecialists),
            CancellationToken.None);
        var sessions = new List<SessionSummary>(page.Sessions.Count);
        foreach (var head in page.Sessions)
        {
            if (!head.SessionId.StartsWith(prefix, StringComparison.Ordinal)
                || (query.Tenant is null && head.SessionId.IndexOf(TenantKeys.Separator, prefix.Length) >= 0))
            {
                // Another tenant's (without a tenant, the sessions of tenants are not listed).
                continue;
            }

            var id = head.SessionId[prefix.Length..];
            var state = SessionJournalLog.ReadState(head.State, id);
            if (state.Agent is not { } created)
            {
                continue;
            }

            var status = state.Active?.Status switch
            {
                null => SessionStatus.Idle,
                GrainInterfaces.Runs.RunStatus.AwaitingApproval => SessionStatus.AwaitingApproval,
                _ => SessionStatus.Running,
            };
            // SQLite keeps commit times to the millisecond and the state its creation time to the tick:
            // the creating commit must not look older than the creation it recorded.
            var lastActivity = head.UpdatedAt > state.CreatedAt ? head.UpdatedAt : state.CreatedAt;
            sessions.Add(new SessionSummary(id, created, state.CurrentAgent, status, state.Active?.RunId, state.Runs, state.CreatedAt, lastActivity));
        }

        // Heads of anything but a session (none are written today) sort outside the prefix: past them, the listing is over.
        return new SessionPage(sessions, page.Next is { } next && next.StartsWith(prefix, StringComparison.Ordinal) ? next[prefix.Length..] : null);
    }
}
