using AgentGrains.Client.Gateway.Tenants;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.GrainInterfaces.Messages;
using Orleans;

namespace AgentGrains.Client.Gateway.Runs;

/// <summary>The tree of specialist runs under a run, read from each run's own session.</summary>
/// <remarks>
/// A manager journals only which runs it delegated to; each node's status, silo and tokens come from
/// the specialist run itself (one read-only call per node, siblings in parallel), so the tree shows
/// what is committed everywhere at the time of the request. A node whose session cannot be reached
/// right now (its silo just died) keeps what its manager knows instead of failing the request.
/// </remarks>
internal static class RunTree
{
    // Far beyond any Delegation:MaxDepth in use; bounds the reads of one request whatever is stored.
    private const int MaxLevels = 16;

    public static Task<IReadOnlyList<RunChildView>?> ChildrenAsync(IReadOnlyList<RunChildView>? children, TenantGrains grains) =>
        ChildrenAsync(children, grains, MaxLevels);

    private static async Task<IReadOnlyList<RunChildView>?> ChildrenAsync(IReadOnlyList<RunChildView>? children, TenantGrains grains, int levels)
    {
        if (children is null || children.Count == 0 || levels == 0)
        {
            return children;
        }

        return await Task.WhenAll(children.Select(child => NodeAsync(child, grains, levels))).ConfigureAwait(false);
    }

    private static async Task<RunChildView> NodeAsync(RunChildView child, TenantGrains grains, int levels)
    {
        if (!RunIds.TryParse(child.RunId, out var sessionId, out _))
        {
            return child;
        }

        RunView? view;
        try
        {
            view = await grains.Session(sessionId).GetRunAsync(child.RunId).ConfigureAwait(false);
        }
        catch (Exception ex) when (SessionCalls.IsTransient(ex))
        {
            return child;
        }

        return view is null
            ? child
            : child with
            {
                Status = view.Status,
                Silo = view.Silo,
                Tokens = view.InputTokens + view.OutputTokens,
                Children = await ChildrenAsync(view.Children, grains, levels - 1).ConfigureAwait(false),
            };
    }
}
