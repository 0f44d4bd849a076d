using System.ComponentModel;
using System.Globalization;
using AgentGrains.GrainInterfaces.Outbox;
using AgentGrains.GrainInterfaces.Sessions;

namespace AgentGrains.Grains.Tools;

/// <summary>The built-in <c>send_message</c> tool: puts a message in the cluster's outbox (<c>GET /v1/outbox</c>), after a person approves the call.</summary>
/// <remarks>
/// It has an effect a person can see and must approve, so approvals can be tried without a mail
/// service or a model: the offline assistant calls it for "send a message to ada@example.com: ...".
/// The outbox keeps one message per call's idempotency key, so a call invoked again after a crash
/// delivers once.
/// </remarks>
/// <param name="grains">Reaches the outbox grain (asked for at the first call: the tool is built with the silo's services, before the silo runs).</param>
/// <param name="timeProvider">Stamps the message.</param>
public sealed class SendMessageTool(Func<IGrainFactory> grains, TimeProvider timeProvider)
{
    /// <summary>The tool's name.</summary>
    public const string Name = "send_message";

    /// <summary>The longest recipient accepted.</summary>
    public const int MaxRecipientLength = 200;

    /// <summary>The longest message accepted, in characters.</summary>
    public const int MaxTextLength = 2_000;

    /// <summary>Creates the tool.</summary>
    public static AgentTool Create(Func<IGrainFactory> grains, TimeProvider timeProvider) =>
        AgentTool.FromMethod(new SendMessageTool(grains, timeProvider).SendAsync);

    /// <summary>Sends one message to the outbox, keyed by the call's idempotency key.</summary>
    /// <exception cref="ArgumentException">The recipient or the text is empty or too long.</exception>
    [AgentTool(Name, TimeoutSeconds = 10, Risk = ToolRisk.Medium, SideEffects = true, NeedsConfirmation = true)]
    [Description("Sends a short message to a person (an e-mail address or a name). A person approves each message before it is sent.")]
    public async Task<string> SendAsync(
        ToolContext context,
        [Description("Who the message is for, e.g. ada@example.com.")] string to,
        [Description("The message, at most 2000 characters.")] string text)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(to) || to.Length > MaxRecipientLength)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"to must name the recipient in 1 to {MaxRecipientLength} characters."), nameof(to));
        }

        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxTextLength)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"text must be 1 to {MaxTextLength} characters."), nameof(text));
        }

        // The tenant's own outbox.
        var sent = await grains().GetGrain<IOutboxGrain>(TenantKeys.Key(context.Tenant, IOutboxGrain.Key))
            .SendAsync(new OutboxMessage(to.Trim(), text.Trim(), context.SessionId, context.RunId, context.IdempotencyKey, timeProvider.GetUtcNow()))
            .ConfigureAwait(false);
        return $"sent to {sent.To}";
    }
}
