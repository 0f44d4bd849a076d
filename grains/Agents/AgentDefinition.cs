using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Agents;

/// <summary>What an agent is: its instructions, its tools, its budgets and its run policies.</summary>
/// <param name="name">The name sessions are created with (e.g. <c>assistant</c>).</param>
/// <param name="instructions">The system prompt sent first with every model call.</param>
/// <param name="tools">The names of the tools its model may call.</param>
/// <remarks>
/// <para>The budgets bound the cost of one user message (one run) whatever the session's length: a
/// model call sees at most <see cref="HistoryWindow"/> earlier messages (plus the current run's),
/// and a run ends with <c>budget_exceeded</c> when it would exceed <see cref="MaxSteps"/>,
/// <see cref="MaxTokens"/>, <see cref="MaxCost"/> or <see cref="MaxWallTime"/>.</para>
/// <para>The timings nest, shortest first: one attempt of a model request (<c>Model:RequestTimeout</c>,
/// 60 s) is abandoned and retried by the model client; one model call, all its attempts and the
/// waits between them, is bounded by <see cref="ModelTimeout"/> (3 min), after which the run fails;
/// a run without progress for <see cref="StallTimeout"/> (4 min) is resumed from its journal, noticed
/// within one <see cref="WatchdogPeriod"/> (10 s). So with the defaults a request that hangs costs one
/// attempt, not the run, and the watchdog never abandons a model call its own bound still allows.</para>
/// <para>The watchdog is the backstop for a run that stops moving for any other reason (a driver
/// lost with its activation, a call that ignores its timeout): a model call still hanging is
/// abandoned and asked again, a tool call is invoked again with the same idempotency key. A
/// <see cref="StallTimeout"/> below <see cref="ModelTimeout"/> makes the watchdog abandon slow model
/// calls too, which suits a model client without a per-attempt timeout of its own; keep it above the
/// usual latency of the model and the tools.</para>
/// </remarks>
public sealed class AgentDefinition(string name, string instructions, IReadOnlyList<string> tools)
{
    /// <summary>The agent's name.</summary>
    public string Name { get; } = name;

    /// <summary>The system prompt.</summary>
    public string Instructions { get; } = instructions;

    /// <summary>The tools its model may call.</summary>
    public IReadOnlyList<string> Tools { get; } = tools;

    /// <summary>How many of the most recent messages a model call sees besides the current turn's; default 20.</summary>
    public int HistoryWindow { get; init; } = 20;

    /// <summary>How many messages must have fallen out of the <see cref="HistoryWindow"/> since the last summary before the run summarizes them into the session's running summary; null or 0 (default) for no summary.</summary>
    /// <remarks>
    /// The summary is made by the agent's model as a journaled step of the run that finds the
    /// messages out of the window (the previous summary plus the messages newly out of it), and it is
    /// sent with every later model call as a system message after the instructions. A summary is
    /// made once per <see cref="SummarizeAfter"/> messages, and is at most <see cref="SummaryMaxLength"/>
    /// characters, so a step costs the same at turn 1,000 as at turn 10.
    /// </remarks>
    public int? SummarizeAfter { get; init; }

    /// <summary>The longest running summary kept, in characters; default 2,000.</summary>
    public int SummaryMaxLength { get; init; } = 2000;

    /// <summary>Whether its model calls are given the facts of the session's user most relevant to the run's message; default false.</summary>
    /// <remarks>
    /// The facts come from the user's long-term memory (what the <c>remember</c> tool stored in any of the
    /// user's sessions). They are recalled once per run, before its first model call, journaled with the
    /// run, and sent as a system message after the instructions (and the summary). A session created
    /// without a user id has no memory. List the <c>remember</c> and <c>recall</c> tools for the agent
    /// to store facts and search them itself (an agent defined in configuration with <c>Memory</c> on gets both).
    /// </remarks>
    public bool Memory { get; init; }

    /// <summary>How many model calls one user message may take before the run stops; default 8.</summary>
    public int MaxSteps { get; init; } = 8;

    /// <summary>How long one model call may take, all its attempts and the waits between them included; default 3 minutes.</summary>
    /// <remarks>
    /// With the configured model (<c>Model:Provider=OpenAI</c>) it must hold two attempts and the longest
    /// wait between them, <c>2 × Model:RequestTimeout + Model:MaxRetryDelay</c> (140 s with the
    /// defaults), so that a request that hangs is retried instead of failing the run; the host refuses
    /// to start otherwise. The default adds 40 s to that for quick failures (a 429, a 503) and their
    /// backoff. When it runs out the run fails.
    /// </remarks>
    public TimeSpan ModelTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The most input plus output tokens one run may use; null (default) for no limit.</summary>
    public long? MaxTokens { get; init; }

    /// <summary>The most one run may cost in USD, by the model price table; null (default) for no limit.</summary>
    public decimal? MaxCost { get; init; }

    /// <summary>The longest one run may take from start to end, waiting for approvals excluded; default 30 minutes.</summary>
    public TimeSpan MaxWallTime { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>What happens to a message that arrives while a run is active; default <see cref="WhenBusy.Enqueue"/>.</summary>
    public WhenBusy WhenBusy { get; init; } = WhenBusy.Enqueue;

    /// <summary>How many messages may wait behind the active run; default 100 (more are refused).</summary>
    public int MaxQueuedMessages { get; init; } = 100;

    /// <summary>How long a run without progress counts as stalled and is resumed from its journal; default 4 minutes.</summary>
    /// <remarks>
    /// A run's progress is journaled at least once per model call and per tool result, so the default
    /// is <see cref="ModelTimeout"/> plus a minute for the tools of a step (10 s each by default) and the
    /// journal's commits: the watchdog then never abandons a model call that may still succeed, and
    /// only restarts a run that has stopped moving.
    /// </remarks>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>How often an active run's watchdog reminder fires; default 10 seconds.</summary>
    /// <remarks>
    /// It bounds how late a stall is noticed after <see cref="StallTimeout"/> and how long a run whose
    /// silo died waits to resume elsewhere; each tick is a reminder and a grain call, so it is seconds,
    /// not milliseconds. On an Orleans silo the shortest reminder period it allows
    /// (<c>ReminderOptions.MinimumReminderPeriod</c>, a minute unless the host lowers it) must not be longer.
    /// </remarks>
    public TimeSpan WatchdogPeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a tool call waits for a person before it is denied; default 24 hours.</summary>
    public TimeSpan ApprovalTimeout { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The model id to ask for; null (default) for the configured <c>Model:Name</c>.</summary>
    public string? Model { get; init; }

    /// <summary>The specialist agents its model may call as tools (each one's <see cref="Contract"/> gives the tool); default none.</summary>
    /// <remarks>
    /// A call starts a run of the specialist in a session of its own (one per call, or one per manager
    /// session when the contract keeps its conversation), on whichever silo owns that session. The
    /// manager's run waits for it without holding its own session, so it still answers reads,
    /// cancellation and approvals. A failure of the specialist comes back to the model as a tool error.
    /// </remarks>
    public IReadOnlyList<string> Specialists { get; init; } = [];

    /// <summary>The agents it may hand the conversation to (a <c>transfer_to_{agent}</c> tool each); default none.</summary>
    /// <remarks>
    /// A handoff is journaled like a tool result; from the next step on, the run (and the session's
    /// later messages) are answered by the agent handed to, with its instructions, tools and
    /// specialists, over the same history.
    /// </remarks>
    public IReadOnlyList<string> Handoffs { get; init; } = [];

    /// <summary>Makes this agent callable by managers as a typed tool; null (default) for an agent only people talk to.</summary>
    public SpecialistContract? Contract { get; init; }

    /// <summary>
    /// A model for this agent alone: a specialist written as plain code (<see cref="Delegation.CodeSpecialist"/>)
    /// always uses it; otherwise null (default) for the silo's configured model.
    /// </summary>
    public IChatClient? ChatClient { get; init; }

    /// <summary>
    /// The deterministic model this agent uses while the silo runs the offline scripted model (no
    /// model provider configured); null (default) to use the scripted model as is. Showcase agents use
    /// it to play their part offline and switch to the real model once one is configured.
    /// </summary>
    public IChatClient? OfflineModel { get; init; }
}
