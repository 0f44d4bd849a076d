using System.Globalization;
using AgentGrains.Client.Gateway.Errors;
using AgentGrains.Client.Gateway.Http;
using AgentGrains.Client.Gateway.Tenants;
using AgentGrains.GrainInterfaces.Memory;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.GrainInterfaces.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Orleans;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>The <c>/v1/sessions</c> resource: create a session, send it messages, read it.</summary>
/// <remarks>
/// Handlers return only successes; refusals are exceptions mapped by <see cref="GatewayExceptionHandler"/>.
/// Everything a request carries is validated before the first durable grain call, so a bad request
/// never writes anything.
/// </remarks>
internal static class SessionEndpoints
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The longest Idempotency-Key header accepted (a key's limit less the namespace prefix of client keys).</summary>
    public static readonly int MaxIdempotencyKeyLength = IdempotencyKey.MaxLength - SessionCaller.ClientKeyPrefix.Length;

    private const string GetSessionRoute = "GetSession";

    // The listings' names in their cursors, so one listing's cursor is never read by another.
    private const string SessionsListing = "sessions";
    private const string RunsListing = "runs";

    // Longer than any agent name a definition can have as a tool (64), for agents only people talk to.
    private const int MaxAgentLength = 128;

    public static RouteGroupBuilder MapSessionEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/sessions").WithTags("Sessions");
        group.ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);

        group.MapPost(string.Empty, CreateSessionAsync)
            .WithName("CreateSession")
            .WithSummary("Creates a session with an agent.")
            .WithDescription("201 with a Location header when created; 200 with the same body when the session already exists for the same agent; 409 when it exists for another agent or another user; 400 for an unknown agent or an invalid session id.")
            .Accepts<CreateSessionRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapPost("/{id}/messages", SendMessageAsync)
            .WithName("SendMessage")
            .WithSummary("Sends a user message to a session; waits for the run's final reply unless wait=false.")
            .WithDescription($"The message starts a run (or queues behind the active one). 200 with the reply once the run ends within Gateway:MaxReplyWait; otherwise, or once the run pauses for a person's approval, or with ?wait=false, 202 with the runId, its status and a Location header to follow it at /v1/runs/{{runId}}. With one {IdempotencyKeyHeader} header (at most {MaxIdempotencyKeyLength} characters; two are refused with 400), a repeated request returns the first one's run and adds no second message; reusing a key for a different message is refused with 422. 404 when the session does not exist; nothing is sent then. 409 when a run is active and the agent's policy is reject.")
            .Accepts<SendMessageRequest>("application/json")
            .ProducesValidationProblem()
            .Produces<RunAcceptedResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapGet(string.Empty, ListSessionsAsync)
            .WithName("ListSessions")
            .WithSummary("Lists sessions, a page at a time, in session id order.")
            .WithDescription($"Each session with its agent, status (idle, running, awaiting_approval, as of its last commit), the active run, the number of runs, and its creation and last activity times. ?limit= 1 to {PageQuery.MaxLimit} (default {PageQuery.DefaultLimit}); pass a page's next as ?cursor= for the page after it (null on the last page); pages never repeat or skip a session. ?agent= lists only the sessions created with that agent (400 for an agent that is not defined). The sessions that runs start for their specialists (ids containing '~') are left out unless ?include=specialists. Reads only; 400 for a bad limit, cursor, agent or include.")
            .ProducesValidationProblem();

        group.MapGet("/{id}", GetSessionAsync)
            .WithName(GetSessionRoute)
            .WithSummary("Returns a session and its whole history.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{id}/runs", ListRunsAsync)
            .WithName("ListSessionRuns")
            .WithSummary("Lists a session's runs, newest first, a page at a time.")
            .WithDescription($"Each run with its status, reason, agent, submission, start and end times, and the first 200 characters of its input and reply; the whole run is at /v1/runs/{{runId}}. ?limit= 1 to {PageQuery.MaxLimit} (default {PageQuery.DefaultLimit}); pass a page's next as ?cursor= for the older runs after it (null on the page with the first run). 404 when the session does not exist; 400 for a bad limit or cursor.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    private static async Task<Ok<SessionListResponse>> ListSessionsAsync(
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromQuery] string? agent,
        [FromQuery] string? include,
        [FromServices] TenantGrains grains,
        [FromServices] SessionCaller caller,
        CancellationToken cancellationToken)
    {
        var size = PageQuery.Limit(limit);
        var after = PageQuery.Key(SessionsListing, cursor);
        if (agent is not null && (string.IsNullOrWhiteSpace(agent) || agent.Length > MaxAgentLength))
        {
            throw GatewayProblemException.Invalid("agent", $"agent must name an agent definition (1 to {MaxAgentLength} characters, see GET /v1/agents), or be omitted to list every agent's sessions.");
        }

        var specialists = include switch
        {
            null => false,
            "specialists" => true,
            _ => throw GatewayProblemException.Invalid("include", $"include may only be 'specialists' (to list the sessions runs start for their specialists too); it was '{include}'."),
        };
        if (agent is not null)
        {
            grains.EnsureAgent(agent);
        }

        var directory = grains.All.GetGrain<ISessionDirectoryGrain>(0);
        var page = await caller.ReadAsync(() => directory.ListAsync(new SessionQuery(after, size, agent, specialists, grains.Tenant)), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new SessionListResponse(page.Sessions, PageQuery.Cursor(SessionsListing, page.Next)));
    }

    private static async Task<Ok<RunListResponse>> ListRunsAsync(
        string id,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromServices] TenantGrains grains,
        [FromServices] SessionCaller caller,
        CancellationToken cancellationToken)
    {
        SessionIds.ValidateListed(id, "id");
        var size = PageQuery.Limit(limit);
        long before = 0;
        if (PageQuery.Key(RunsListing, cursor) is { } key
            && (!long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out before) || before < 1))
        {
            throw GatewayProblemException.Invalid("cursor", "cursor is not one this listing handed out; send the 'next' value of the previous page of runs as is, or omit cursor for the newest runs.");
        }

        var session = grains.Session(id);
        var page = await caller.ReadAsync(() => session.ListRunsAsync(before, size), cancellationToken).ConfigureAwait(false) ?? throw NotFound(id);
        return TypedResults.Ok(new RunListResponse(page.Runs, PageQuery.Cursor(RunsListing, page.Next?.ToString(CultureInfo.InvariantCulture))));
    }

    private static async Task<Results<Created<SessionCreatedResponse>, Ok<SessionCreatedResponse>>> CreateSessionAsync(
        HttpContext httpContext,
        [FromServices] JsonRequestReader reader,
        [FromServices] TenantGrains grains,
        [FromServices] SessionCaller caller,
        [FromServices] LinkGenerator links,
        CancellationToken cancellationToken)
    {
        var request = await reader.ReadAsync<CreateSessionRequest>(httpContext.Request, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(request.Agent))
        {
            throw GatewayProblemException.Invalid("agent", "agent is required; name the agent definition to talk to, e.g. \"assistant\".");
        }

        var sessionId = request.SessionId ?? SessionIds.New();
        SessionIds.Validate(sessionId, "sessionId");
        grains.EnsureAgent(request.Agent);
        if (request.UserId is not null && UserIds.Problem(request.UserId, "userId") is { } problem)
        {
            throw GatewayProblemException.Invalid("userId", problem);
        }

        var grain = grains.Session(sessionId);
        var session = await caller.SendAsync(null, () => grain.CreateAsync(request.Agent, request.UserId, httpContext.User.Identity?.Name), cancellationToken).ConfigureAwait(false);
        var response = new SessionCreatedResponse(session.SessionId, session.Agent, session.UserId);
        if (!session.Created)
        {
            return TypedResults.Ok(response);
        }

        var location = links.GetPathByName(httpContext, GetSessionRoute, new RouteValueDictionary { ["id"] = session.SessionId });
        return TypedResults.Created(location, response);
    }

    private static async Task<Results<Ok<MessageReplyResponse>, Accepted<RunAcceptedResponse>>> SendMessageAsync(
        string id,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        [FromQuery] string? wait,
        HttpRequest httpRequest,
        [FromServices] JsonRequestReader reader,
        [FromServices] TenantGrains grains,
        [FromServices] SessionCaller caller,
        [FromServices] IOptions<GatewayOptions> options,
        [FromServices] TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        SessionIds.Validate(id, "id");
        ValidateIdempotencyKey(httpRequest, idempotencyKey);
        var waitForReply = ParseWait(wait);
        var request = await reader.ReadAsync<SendMessageRequest>(httpRequest, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(request.Text))
        {
            throw GatewayProblemException.Invalid("text", "text is required and must not be empty or whitespace.");
        }

        var session = grains.Session(id);

        // The message and the wait for its reply in one call (then long polls, all within one
        // Gateway:MaxReplyWait); a session that does not exist refuses it before anything is stored (404).
        var maxWait = options.Value.MaxReplyWait;
        var deadline = timeProvider.GetUtcNow() + (!waitForReply || maxWait <= TimeSpan.Zero ? TimeSpan.Zero : maxWait);
        SendResult run;
        try
        {
            run = await caller.SubmitAndWaitAsync(session, request.Text, idempotencyKey, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (SessionNotFoundException)
        {
            throw NotFound(id);
        }

        return run.IsTerminal
            ? TypedResults.Ok(new MessageReplyResponse(run.SessionId, run.RunId, run.Status, run.Reply, run.Reason, run.Messages))
            : TypedResults.Accepted($"/v1/runs/{run.RunId}", new RunAcceptedResponse(run.RunId, run.Status));
    }

    private static async Task<Ok<SessionResponse>> GetSessionAsync(string id, [FromServices] TenantGrains grains, [FromServices] SessionCaller caller, CancellationToken cancellationToken)
    {
        // Specialist sessions (named manager~specialist in run views) are read like any other.
        SessionIds.ValidateListed(id, "id");
        var view = await caller.ReadAsync(grains.Session(id).GetAsync, cancellationToken).ConfigureAwait(false) ?? throw NotFound(id);
        return TypedResults.Ok(SessionResponse.From(view));
    }

    /// <summary>The <c>wait</c> query parameter: true (the default) or false.</summary>
    private static bool ParseWait(string? wait) => wait switch
    {
        null => true,
        _ when bool.TryParse(wait, out var parsed) => parsed,
        _ => throw GatewayProblemException.Invalid("wait", $"wait is '{wait}'; send wait=false to get 202 with the run at once, or leave it out (or wait=true) to wait for the reply."),
    };

    /// <summary>Refuses a bad <c>Idempotency-Key</c>: blank, too long, or more than one (bound as one string, they would be joined into a key nobody sent).</summary>
    internal static void ValidateIdempotencyKey(HttpRequest request, string? key)
    {
        if (request.Headers[IdempotencyKeyHeader].Count > 1)
        {
            throw GatewayProblemException.Invalid(IdempotencyKeyHeader, $"The request has {request.Headers[IdempotencyKeyHeader].Count} {IdempotencyKeyHeader} headers; send one key per request.");
        }

        if (key is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(key))
        {
            throw GatewayProblemException.Invalid(IdempotencyKeyHeader, $"The {IdempotencyKeyHeader} header is blank; omit it or send 1 to {MaxIdempotencyKeyLength} characters.");
        }

        if (key.Length > MaxIdempotencyKeyLength)
        {
            throw GatewayProblemException.Invalid(IdempotencyKeyHeader, $"The {IdempotencyKeyHeader} header has {key.Length} characters; at most {MaxIdempotencyKeyLength} are allowed.");
        }
    }

    private static SessionNotFoundException NotFound(string id) =>
        new($"Session '{id}' does not exist; create it with POST /v1/sessions.");
}
