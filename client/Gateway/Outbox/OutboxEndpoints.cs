using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.Client.Gateway.Tenants;
using AgentGrains.GrainInterfaces.Outbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans;

namespace AgentGrains.Client.Gateway.Outbox;

/// <summary>The <c>/v1/outbox</c> resource: the messages agents sent with the built-in <c>send_message</c> tool.</summary>
internal static class OutboxEndpoints
{
    public static RouteGroupBuilder MapOutboxEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/outbox").WithTags("Outbox");
        group.MapGet(string.Empty, GetOutboxAsync)
            .WithName("GetOutbox")
            .WithSummary("Lists the messages agents sent with the send_message tool (each approved by a person first), newest first.")
            .WithDescription("The outbox keeps the newest 200 messages. Each names the session and run that sent it and the tool call's idempotency key: a call run again after a crash is listed once.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    private static async Task<Ok<OutboxResponse>> GetOutboxAsync([FromServices] TenantGrains grains, [FromServices] SessionCaller caller, CancellationToken cancellationToken)
    {
        var messages = await caller.ReadAsync(grains.Outbox().ListAsync, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new OutboxResponse([.. messages.Select(static m => new OutboxMessageResponse(m.To, m.Text, m.SessionId, m.RunId, m.IdempotencyKey, m.SentAt))]));
    }
}

/// <summary>The outbox, newest message first.</summary>
/// <param name="Messages">The messages kept.</param>
internal sealed record OutboxResponse(IReadOnlyList<OutboxMessageResponse> Messages);

/// <summary>One message an agent sent.</summary>
/// <param name="To">The recipient, as the agent wrote it.</param>
/// <param name="Text">The message.</param>
/// <param name="SessionId">The session whose run sent it.</param>
/// <param name="RunId">The run that sent it.</param>
/// <param name="IdempotencyKey">The tool call's key (run, step and call index).</param>
/// <param name="SentAt">When it was sent, after its approval.</param>
internal sealed record OutboxMessageResponse(string To, string Text, string SessionId, string RunId, string IdempotencyKey, DateTimeOffset SentAt);
