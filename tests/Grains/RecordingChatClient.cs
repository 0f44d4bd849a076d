using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains;

/// <summary>Passes calls to an inner model and records the requests.</summary>
internal sealed class RecordingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    private readonly Lock gate = new();
    private readonly List<IReadOnlyList<ChatMessage>> requests = [];

    public IReadOnlyList<IReadOnlyList<ChatMessage>> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ChatMessage> request = [.. messages];
        lock (gate)
        {
            requests.Add(request);
        }

        return base.GetResponseAsync(request, options, cancellationToken);
    }
}
