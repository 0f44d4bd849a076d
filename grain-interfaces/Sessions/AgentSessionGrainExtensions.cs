using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>Conveniences over <see cref="IAgentSessionGrain"/>.</summary>
public static class AgentSessionGrainExtensions
{
    /// <summary>The default wait of <see cref="SendAsync"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);

    /// <summary>Submits a user message and waits up to <paramref name="wait"/> for its run to end.</summary>
    /// <remarks>
    /// The message is durable once submitted: if the wait ends first, the run goes on and the
    /// result says <c>running</c> (or <c>queued</c>, <c>awaiting_approval</c>).
    /// </remarks>
    public static async Task<SendResult> SendAsync(this IAgentSessionGrain session, string text, TimeSpan? wait = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var deadline = TimeProvider.System.GetUtcNow() + (wait ?? DefaultWait);
        var result = await session.SubmitAndWaitAsync(text, SessionCalls.NextPoll(deadline - TimeProvider.System.GetUtcNow())).ConfigureAwait(false);
        while (!result.IsTerminal && TimeProvider.System.GetUtcNow() < deadline)
        {
            var run = await session.WaitForRunAsync(result.RunId, SessionCalls.NextPoll(deadline - TimeProvider.System.GetUtcNow())).ConfigureAwait(false)
                ?? throw new RunNotFoundException($"Run '{result.RunId}' was accepted but cannot be read.");
            result = SendResult.From(run);
        }

        return result;
    }
}
