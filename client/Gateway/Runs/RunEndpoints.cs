using AgentGrains.Client.Gateway.Tenants;
using AgentGrains.Client.Gateway.Errors;
using AgentGrains.Client.Gateway.Http;
using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.GrainInterfaces.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;

namespace AgentGrains.Client.Gateway.Runs;

/// <summary>The <c>/v1/runs</c> resource: a run's status, its event stream, approvals and cancellation.</summary>
/// <remarks>
/// A run id names its session (<see cref="RunIds"/>), so every request goes straight to the session
/// grain that holds the run, on whichever silo owns it.
/// </remarks>
internal static class RunEndpoints
{
    public static RouteGroupBuilder MapRunEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/runs").WithTags("Runs");
        group.ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);

        group.MapGet("/{runId}", GetRunAsync)
            .WithName("GetRun")
            .WithSummary("Returns a run: status, reason, steps, tool calls, tokens, cost and durations.");

        group.MapGet("/{runId}/events", StreamEventsAsync)
            .WithName("GetRunEvents")
            .WithSummary("Streams a run's journal as server-sent events.")
            .WithDescription("Each event's id is its position in the run's journal (from 1, no gaps); once specialist runs under it send events (tagged with their agent path), the id also carries their positions. Reconnect with a Last-Event-ID header (or ?lastEventId=) to resume after the last event received; the stream ends after the run's own run.finished event.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream");

        group.MapPost("/{runId}/approvals/{callId}", DecideAsync)
            .WithName("DecideApproval")
            .WithSummary("Approves or denies a tool call the run is waiting on.")
            .WithDescription("409 when the call does not wait for a decision (decided already, or the run ended). With an Idempotency-Key header, a retried decision (after a timeout) gets the first decision's answer instead of 409.")
            .Accepts<ApprovalRequest>("application/json")
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/{runId}/cancel", CancelAsync)
            .WithName("CancelRun")
            .WithSummary("Cancels a queued or active run; cancelling a cancelled run changes nothing.")
            .WithDescription("409 when the run already ended otherwise (completed, failed, budget exceeded). Accepts an Idempotency-Key header like the other durable requests.")
            .ProducesProblem(StatusCodes.Status409Conflict);

        return group;
    }

    private static async Task<Ok<RunView>> GetRunAsync(string runId, [FromServices] TenantGrains grains, [FromServices] SessionCaller caller, CancellationToken cancellationToken)
    {
        var session = Session(runId, grains);
        var view = await caller.ReadAsync(() => session.GetRunAsync(runId), cancellationToken).ConfigureAwait(false) ?? throw NotFound(runId);
        return TypedResults.Ok(view with { Children = await RunTree.ChildrenAsync(view.Children, grains).ConfigureAwait(false) });
    }

    private static async Task<Ok<RunView>> DecideAsync(
        string runId,
        string callId,
        [FromHeader(Name = SessionEndpoints.IdempotencyKeyHeader)] string? idempotencyKey,
        HttpRequest httpRequest,
        [FromServices] JsonRequestReader reader,
        [FromServices] TenantGrains grains,
        [FromServices] SessionCaller caller,
        CancellationToken cancellationToken)
    {
        var session = Session(runId, grains);
        if (string.IsNullOrWhiteSpace(callId) || callId.Length > 256)
        {
            throw GatewayProblemException.Invalid("callId", "callId must be 1 to 256 characters: the id of a tool call the run waits on.");
        }

        var request = await reader.ReadAsync<ApprovalRequest>(httpRequest, cancellationToken).ConfigureAwait(false);
        if (request.Approve is not { } approve)
        {
            throw GatewayProblemException.Invalid("approve", "approve is required: true to run the tool call, false to deny it.");
        }

        SessionEndpoints.ValidateIdempotencyKey(httpRequest, idempotencyKey);
        await EnsureExistsAsync(session, runId, caller, cancellationToken).ConfigureAwait(false);
        // A run's calls are approved by whoever created its session, or by an admin.
        var info = await caller.ReadAsync(session.GetInfoAsync, cancellationToken).ConfigureAwait(false);
        if (info?.Owner is { } owner && !string.Equals(owner, httpRequest.HttpContext.User.Identity?.Name, StringComparison.Ordinal)
            && !httpRequest.HttpContext.User.IsInRole(Identity.GatewayIdentity.AdminRole))
        {
            throw GatewayProblemException.Forbidden($"Run '{runId}' belongs to a session another API key created; only that key or a key with the admin role may decide its calls.");
        }

        return TypedResults.Ok(await caller.SendAsync(idempotencyKey, () => session.DecideApprovalAsync(runId, callId, approve), cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Ok<RunView>> CancelAsync(
        string runId,
        [FromHeader(Name = SessionEndpoints.IdempotencyKeyHeader)] string? idempotencyKey,
        HttpRequest httpRequest,
        [FromServices] TenantGrains grains,
        [FromServices] SessionCaller caller,
        CancellationToken cancellationToken)
    {
        var session = Session(runId, grains);
        SessionEndpoints.ValidateIdempotencyKey(httpRequest, idempotencyKey);
        await EnsureExistsAsync(session, runId, caller, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(await caller.SendAsync(idempotencyKey, () => session.CancelRunAsync(runId), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Streams committed journal events; survives the owning silo's death by polling the grain again wherever it now lives.</summary>
    private static async Task StreamEventsAsync(
        string runId,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventIdHeader,
        [FromQuery] string? lastEventId,
        HttpContext httpContext,
        [FromServices] TenantGrains grains,
        [FromServices] IOptions<GatewayOptions> options,
        [FromServices] TimeProvider timeProvider,
        [FromServices] ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var session = Session(runId, grains);
        var cursor = RunEventCursor.Parse(lastEventIdHeader ?? lastEventId);

        var logger = loggers.CreateLogger(typeof(RunEndpoints).FullName!);

        // The first page before any byte is written, so an unknown run is a 404 problem, not an empty stream.
        RunEventPage? page;
        try
        {
            page = await session.GetRunEventsAsync(runId, cursor.Root, TimeSpan.Zero).ConfigureAwait(false);
        }
        catch (Exception ex) when (SessionCalls.IsTransient(ex))
        {
            // The owning silo died or is draining: typically a client reconnecting (Last-Event-ID)
            // right after the silo that served it went down. Open the stream and poll until the grain
            // is back elsewhere, as an open stream does; a 503 would end a browser's EventSource for
            // good, since it never reconnects after a non-200 answer.
            RunEventStream.LogRetry(logger, runId, ex.Message);
            page = null;
        }

        var response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.WriteAsync("retry: 1000\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        await new RunEventStream(response, grains, options.Value.EventPollWait, timeProvider, logger, cursor)
            .WriteAsync(runId, page, cancellationToken).ConfigureAwait(false);
    }

    private static IAgentSessionGrain Session(string runId, TenantGrains grains)
    {
        if (!RunIds.TryParse(runId, out var sessionId, out _))
        {
            throw GatewayProblemException.Invalid("runId", $"'{runId}' is not a run id; run ids look like '<sessionId>{RunIds.Separator}<number>'.");
        }

        // A specialist's session id joins its manager's run id and the call: each part is a session id's shape.
        foreach (var part in sessionId.Split(RunIds.Separator))
        {
            SessionIds.Validate(part, "runId");
        }

        return grains.Session(sessionId);
    }

    /// <summary>A read first, so a request for an unknown run never reaches an inbox.</summary>
    private static async Task EnsureExistsAsync(IAgentSessionGrain session, string runId, SessionCaller caller, CancellationToken cancellationToken)
    {
        if (await caller.ReadAsync(() => session.GetRunAsync(runId), cancellationToken).ConfigureAwait(false) is null)
        {
            throw NotFound(runId);
        }
    }

    private static RunNotFoundException NotFound(string runId) => new($"Run '{runId}' does not exist.");
}
