using System.ComponentModel;
using System.Globalization;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Tools;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Fault;

/// <summary>Side-effecting tools over a <see cref="SideEffectLedger"/>, and the agents that use them.</summary>
public sealed class PaymentTools(SideEffectLedger ledger)
{
    public const string Charge = "charge";
    public const string Transfer = "transfer";

    /// <summary>An agent that charges and transfers; its watchdog ticks often, its stall timeout is the default (long).</summary>
    public const string PaymentsAgent = "payments";

    /// <summary>An agent whose run counts as stalled after 2 s without progress, below its model timeout; its watchdog ticks as often as the test silos allow.</summary>
    public const string ImpatientAgent = "impatient";

    [Description("Charges the customer's card.")]
    public Task<string> ChargeAsync([Description("The amount in cents.")] int amount, ToolContext context, CancellationToken cancellationToken) =>
        ledger.ApplyAsync(context, string.Create(CultureInfo.InvariantCulture, $"charged {amount}"), cancellationToken);

    [Description("Transfers money to the supplier; a person approves each transfer.")]
    public Task<string> TransferAsync([Description("The amount in cents.")] int amount, ToolContext context, CancellationToken cancellationToken) =>
        ledger.ApplyAsync(context, string.Create(CultureInfo.InvariantCulture, $"transferred {amount}"), cancellationToken);

    /// <summary>The tools: both have side effects; <c>transfer</c> needs a person's approval.</summary>
    public IReadOnlyList<AgentTool> Tools() =>
    [
        AgentTool.Create(ChargeAsync, Charge, new AgentToolSettings { HasSideEffects = true, Timeout = TimeSpan.FromSeconds(60) }),
        AgentTool.Create(TransferAsync, Transfer, new AgentToolSettings { HasSideEffects = true, NeedsConfirmation = true, Timeout = TimeSpan.FromSeconds(60) }),
    ];

    /// <summary>The agents; <paramref name="watchdogPeriod"/> is at most the cluster's death timeout.</summary>
    public static IReadOnlyList<AgentDefinition> Agents(TimeSpan watchdogPeriod) =>
    [
        new(PaymentsAgent, "You move money with the tools.", [Charge, Transfer]) { WatchdogPeriod = watchdogPeriod },
        new(ImpatientAgent, "You move money with the tools.", [Charge])
        {
            WatchdogPeriod = SessionCluster.MinimumReminderPeriod,
            StallTimeout = TimeSpan.FromSeconds(2),
        },
    ];
}
