using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Runtime;
using AgentGrains.Runtime.Persistence;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Sessions;

/// <summary>One conversation with one agent: runs the agent loop (model, tools, model…) for each user message.</summary>
/// <remarks>
/// <para>The conversation lives only in the append-only <c>history</c> log; the <c>session</c>
/// state holds the agent name and counters. A user message is one durable turn: its history
/// rows, the counters and the message's completion commit together, or not at all.</para>
/// <para>A turn never reads the log. The activation keeps the last <see cref="AgentDefinition.HistoryWindow"/>
/// messages in memory (read once at activation) and a model call sees those plus the current
/// turn's, so the cost of a turn does not grow with the session's length.</para>
/// </remarks>
public sealed partial class AgentSessionGrain : Grain, IAgentSessionGrain
{
    // For a session whose agent is no longer defined: only its reads still work.
    private const int FallbackWindow = 20;
    private const int ReadPageSize = 500;

    private readonly IPersistentState<AgentSessionState> state;
    private readonly IPersistentLog<HistoryEntry> history;
    private readonly AgentCatalog catalog;
    private readonly ToolRegistry tools;
    private readonly IChatClient model;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<AgentSessionGrain> logger;

    // The most recent messages as the model sees them: the window of earlier turns, then the current turn's.
    private readonly List<ChatMessage> tail = [];

    // Entries of finished turns. Read-only calls interleave with a running turn and the log
    // includes what that turn staged; they show only up to here, never half a turn.
    private long settled;

    private CancellationToken stopping;

    /// <summary>Created by the runtime for each activation.</summary>
    public AgentSessionGrain(
        [PersistentState("session")] IPersistentState<AgentSessionState> state,
        [PersistentLog("history")] IPersistentLog<HistoryEntry> history,
        AgentCatalog catalog,
        ToolRegistry tools,
        IChatClient model,
        TimeProvider timeProvider,
        ILogger<AgentSessionGrain> logger)
    {
        this.state = state;
        this.history = history;
        this.catalog = catalog;
        this.tools = tools;
        this.model = model;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    private string SessionId => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The token is the silo's: cancelled only when the silo is killed or its graceful stop has
        // given up on this turn. Model and tool calls use it so a crash-stop abandons them
        // (the message stays in the inbox and runs again) instead of holding the silo.
        stopping = cancellationToken;
        settled = history.Count;
        if (state.State.Agent is not { } agent)
        {
            return;
        }

        var window = catalog.TryGet(agent, out var definition) ? definition.HistoryWindow : FallbackWindow;
        var entries = await history.ReadAsync(Math.Max(0, history.Count - window), window, cancellationToken);
        foreach (var entry in entries)
        {
            tail.Add(HistoryMessages.ToChatMessage(entry));
        }
    }

    /// <inheritdoc />
    public async Task<SessionInfo> CreateAsync(string agent)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agent);
        catalog.Get(agent);
        if (state.State.Agent is { } existing)
        {
            return string.Equals(existing, agent, StringComparison.Ordinal)
                ? new SessionInfo(SessionId, existing, Created: false)
                : throw new SessionConflictException($"Session '{SessionId}' already exists for agent '{existing}'; it cannot be created again for agent '{agent}'.");
        }

        state.State.Agent = agent;
        state.State.CreatedAt = timeProvider.GetUtcNow();
        await state.WriteStateAsync(stopping);
        LogCreated(logger, SessionId, agent);
        return new SessionInfo(SessionId, agent, Created: true);
    }

    /// <inheritdoc />
    public async Task<SendResult> SendAsync(string text)
    {
        var agentName = state.State.Agent
            ?? throw new SessionNotFoundException($"Session '{SessionId}' does not exist; create it before sending messages.");
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("The message text is empty.", nameof(text));
        }

        var agent = catalog.Get(agentName);
        if (tail.Count > agent.HistoryWindow)
        {
            tail.RemoveRange(0, tail.Count - agent.HistoryWindow);
        }

        Record(new HistoryEntry(HistoryMessages.User, text, timeProvider.GetUtcNow()));
        var options = agent.Tools.Count == 0 ? new ChatOptions() : new ChatOptions { Tools = tools.GetTools(agent.Tools) };
        string? reply = null;
        var step = 0;
        while (step < agent.MaxSteps)
        {
            step++;
            var response = await CallModelAsync(agent, options, step);
            var calls = response.Messages
                .SelectMany(static m => m.Contents)
                .OfType<FunctionCallContent>()
                .Where(static c => !c.InformationalOnly)
                .ToList();
            if (calls.Count == 0)
            {
                reply = response.Text;
                Record(new HistoryEntry(HistoryMessages.Assistant, reply, timeProvider.GetUtcNow()));
                break;
            }

            Record(new HistoryEntry(HistoryMessages.Assistant, response.Text, timeProvider.GetUtcNow(), [.. calls.Select(HistoryMessages.ToEntry)]));
            var callIndex = 0;
            foreach (var call in calls)
            {
                // One at a time, in the model's order: the history then reads the same on every replay.
                var context = new ToolContext(SessionId, string.Create(CultureInfo.InvariantCulture, $"{SessionId}:{state.State.Turns}"), step, callIndex++, call.Name);
                var result = await tools.InvokeAsync(call, context, agent.Tools, stopping);
                state.State.ToolCalls++;
                if (result.IsError)
                {
                    LogToolError(logger, SessionId, call.Name, step, result.Content);
                }

                Record(new HistoryEntry(HistoryMessages.Tool, result.Content, timeProvider.GetUtcNow(), ToolCallId: call.CallId, ToolName: call.Name));
            }
        }

        if (reply is null)
        {
            reply = $"I stopped before finishing: the step budget of {agent.MaxSteps.ToString(CultureInfo.InvariantCulture)} model calls for one message is exhausted.";
            LogStepBudgetExhausted(logger, SessionId, agent.MaxSteps);
            Record(new HistoryEntry(HistoryMessages.Assistant, reply, timeProvider.GetUtcNow()));
        }

        state.State.Turns++;
        await state.WriteStateAsync(stopping);
        settled = history.Count;
        LogTurnCompleted(logger, SessionId, step, history.Count);
        return new SendResult(SessionId, reply, history.Count);
    }

    /// <inheritdoc />
    public Task<SessionInfo?> GetInfoAsync() =>
        Task.FromResult(state.State.Agent is { } agent ? new SessionInfo(SessionId, agent, Created: false) : null);

    /// <inheritdoc />
    public async Task<SessionView?> GetAsync() =>
        state.State.Agent is { } agent ? new SessionView(SessionId, agent, await ReadHistoryAsync()) : null;

    /// <inheritdoc />
    public async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync() =>
        state.State.Agent is null ? [] : await ReadHistoryAsync();

    private async Task<IReadOnlyList<HistoryEntry>> ReadHistoryAsync()
    {
        var end = settled;
        var entries = new List<HistoryEntry>((int)Math.Min(end, ReadPageSize));
        while (entries.Count < end)
        {
            var page = await history.ReadAsync(entries.Count, (int)Math.Min(ReadPageSize, end - entries.Count), stopping);
            if (page.Count == 0)
            {
                break;
            }

            entries.AddRange(page);
        }

        return entries;
    }

    private async Task<ChatResponse> CallModelAsync(AgentDefinition agent, ChatOptions options, int step)
    {
        var messages = new List<ChatMessage>(tail.Count + 1) { new(ChatRole.System, agent.Instructions) };
        var first = 0;
        while (first < tail.Count && tail[first].Role == ChatRole.Tool)
        {
            // A tool result whose call fell out of the window: providers reject it without its call.
            first++;
        }

        for (var i = first; i < tail.Count; i++)
        {
            messages.Add(tail[i]);
        }

        using var timeout = new CancellationTokenSource(agent.ModelTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        ChatResponse response;
        try
        {
            response = await model.GetResponseAsync(messages, options, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"The model did not answer within {agent.ModelTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (session '{SessionId}', step {step.ToString(CultureInfo.InvariantCulture)}); the message was not recorded, send it again.");
        }

        state.State.ModelCalls++;
        if (response.Usage is { } usage)
        {
            state.State.InputTokens += usage.InputTokenCount ?? 0;
            state.State.OutputTokens += usage.OutputTokenCount ?? 0;
        }

        return response;
    }

    private void Record(HistoryEntry entry)
    {
        history.Append(entry);
        tail.Add(HistoryMessages.ToChatMessage(entry));
    }
}
