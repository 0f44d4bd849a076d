using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentGrains.Client.Gateway.Errors;
using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.Client.Gateway.Tenants;
using AgentGrains.GrainInterfaces.Tenants;
using AgentGrains.GrainInterfaces.Agents;
using AgentGrains.GrainInterfaces.Memory;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Orleans;

namespace AgentGrains.Client.Gateway.Mcp;

/// <summary>The agents as MCP tools: one tool per agent definition, a call is a message to a session.</summary>
/// <remarks>
/// <para>The tool list is read from <see cref="IAgentCatalogGrain"/> at each request (as <c>GET /v1/agents</c>
/// does), so a standalone gateway lists the silos' agents, and every agent a session can be created
/// with is a tool (specialists too: a person may talk to them directly).</para>
/// <para>A call sends <c>message</c> to the session <c>sessionId</c> names (which must exist and belong to
/// the agent) or to a new session (of the user <c>userId</c> names, if any), and waits up to <see cref="GatewayOptions.MaxReplyWait"/> for the run.
/// With a progress token, each event of the run (and of its specialists' runs) goes out as a progress
/// notification while it runs; a cancelled request cancels the run.</para>
/// </remarks>
internal sealed partial class McpAgentTools(
    IGrainFactory grains,
    SessionCaller caller,
    IOptions<GatewayOptions> options,
    IOptionsMonitor<TenantsOptions> tenants,
    TimeProvider timeProvider,
    ILogger<McpAgentTools> logger)
{
    /// <summary>The argument with the user message.</summary>
    public const string MessageArgument = "message";

    /// <summary>The argument naming a session to continue.</summary>
    public const string SessionIdArgument = "sessionId";

    /// <summary>The argument naming the user a new session belongs to (its long-term memory).</summary>
    public const string UserIdArgument = "userId";

    // How long the result waits after the last progress notification.
    private static readonly TimeSpan NotificationGrace = TimeSpan.FromMilliseconds(100);

    private static readonly JsonElement InputSchema = JsonSerializer.SerializeToElement(new JsonObject
    {
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            [MessageArgument] = new JsonObject { ["type"] = "string", ["description"] = "The user message to send to the agent." },
            [SessionIdArgument] = new JsonObject
            {
                ["type"] = "string",
                ["description"] = "A session id a previous call returned, to continue that conversation; omit it to start a new session.",
            },
            [UserIdArgument] = new JsonObject
            {
                ["type"] = "string",
                ["description"] = "The user a new session belongs to: agents with memory remember and recall that user's facts across sessions. Omit it for a session without memory.",
            },
        },
        ["required"] = new JsonArray(MessageArgument),
    });

    private static readonly JsonElement OutputSchema = JsonSerializer.SerializeToElement(new JsonObject
    {
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["sessionId"] = new JsonObject { ["type"] = "string" },
            ["runId"] = new JsonObject { ["type"] = "string" },
            ["status"] = new JsonObject { ["type"] = "string" },
            ["reply"] = new JsonObject { ["type"] = new JsonArray("string", "null") },
            ["reason"] = new JsonObject { ["type"] = new JsonArray("string", "null") },
        },
        ["required"] = new JsonArray("sessionId", "runId", "status"),
    });

    /// <summary>Every agent definition as a tool.</summary>
    public async ValueTask<ListToolsResult> ListToolsAsync(RequestContext<ListToolsRequestParams> context, CancellationToken cancellationToken)
    {
        var agents = await caller.ReadAsync(grains.GetGrain<IAgentCatalogGrain>(0).ListAsync, cancellationToken).ConfigureAwait(false);
        var policy = new TenantGrains(grains, context.User, tenants.CurrentValue).Policy;
        return new ListToolsResult { Tools = [.. agents.Where(a => policy.AllowsAgent(a.Name)).Select(ToTool)] };
    }

    private static Tool ToTool(AgentSummary agent) => new()
    {
        Name = agent.Name,
        Description = agent.Description
            ?? $"Talk to the AgentGrains agent '{agent.Name}': sends message (in a new session, or the one sessionId names) and returns its reply. {Truncate(agent.Instructions, 300)}",
        InputSchema = InputSchema,
        OutputSchema = OutputSchema,
    };

    /// <summary>Sends the message to the agent and returns the run's outcome.</summary>
    public async ValueTask<CallToolResult> CallToolAsync(RequestContext<CallToolRequestParams> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var agent = context.Params?.Name ?? string.Empty;
        var arguments = context.Params?.Arguments;
        if (arguments is null || !arguments.TryGetValue(MessageArgument, out var messageValue)
            || messageValue.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(messageValue.GetString()))
        {
            return Error($"{MessageArgument} is required: the user message to send to '{agent}', a non-empty string.");
        }

        string? sessionId = null;
        if (arguments.TryGetValue(SessionIdArgument, out var sessionValue) && sessionValue.ValueKind != JsonValueKind.Null)
        {
            if (sessionValue.ValueKind != JsonValueKind.String)
            {
                return Error($"{SessionIdArgument} must be a string: a session id a previous call returned.");
            }

            sessionId = sessionValue.GetString();
        }

        string? userId = null;
        if (arguments.TryGetValue(UserIdArgument, out var userValue) && userValue.ValueKind != JsonValueKind.Null)
        {
            userId = userValue.ValueKind == JsonValueKind.String ? userValue.GetString() : null;
            if (UserIds.Problem(userId, UserIdArgument) is { } problem)
            {
                return Error(problem);
            }
        }

        try
        {
            return await RunAsync(context, agent, messageValue.GetString()!, sessionId, userId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var problem = GatewayExceptionHandler.ToProblem(ex);
            if (problem.Status >= 500)
            {
                LogFailed(logger, agent, ex);
            }

            return Error(problem.Detail ?? problem.Title ?? "The call failed.");
        }
    }

    private async Task<CallToolResult> RunAsync(RequestContext<CallToolRequestParams> context, string agent, string message, string? sessionId, string? userId, CancellationToken cancellationToken)
    {
        // The caller's tenant's sessions: another tenant's session id names a session that does not exist.
        var tenantGrains = new TenantGrains(grains, context.User, tenants.CurrentValue);
        IAgentSessionGrain session;
        if (sessionId is null)
        {
            tenantGrains.EnsureAgent(agent);
            sessionId = SessionIds.New();
            session = tenantGrains.Session(sessionId);
            await caller.SendAsync(null, () => session.CreateAsync(agent, userId, context.User?.Identity?.Name), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            SessionIds.Validate(sessionId, SessionIdArgument);
            session = tenantGrains.Session(sessionId);
            var info = await caller.ReadAsync(session.GetInfoAsync, cancellationToken).ConfigureAwait(false);
            if (info is null)
            {
                return Error($"Session '{sessionId}' does not exist; omit {SessionIdArgument} to start a new session.");
            }

            if (!string.Equals(info.Agent, agent, StringComparison.Ordinal))
            {
                return Error($"Session '{sessionId}' is a session with '{info.Agent}', not '{agent}'; call the '{info.Agent}' tool to continue it.");
            }

            if (userId is not null && !string.Equals(info.UserId, userId, StringComparison.Ordinal))
            {
                // The user is not named: the session may be someone else's.
                return Error($"Session '{sessionId}' does not belong to user '{userId}'; omit {UserIdArgument} to continue it, or {SessionIdArgument} to start a session of that user.");
            }
        }

        // The run id first (to follow and cancel the run), then the wait for its end.
        var deadline = timeProvider.GetUtcNow() + options.Value.MaxReplyWait;
        // Not abandoned when the request is cancelled meanwhile: the run it starts is cancelled below.
        var submission = await caller.SendAsync(null, () => session.SubmitAsync(message), CancellationToken.None).ConfigureAwait(false);
        var runId = submission.RunId;

        using var following = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = Task.CompletedTask;
        RunView? view;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (context.Params?.ProgressToken is { } token)
            {
                progress = new McpRunProgress(context.Server, token, tenantGrains, options.Value.EventPollWait, timeProvider, logger).FollowAsync(runId, following.Token);
            }

            view = await caller.WaitForReplyAsync(session, runId, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await CancelAsync(session, runId).ConfigureAwait(false);
            await following.CancelAsync().ConfigureAwait(false);
            await progress.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        if (view is { IsTerminal: true })
        {
            // Let the last events (run.finished among them) go out before the result; clients handle
            // notifications as they come, concurrently, and drop those that arrive after the result.
            await progress.WaitAsync(TimeSpan.FromSeconds(5), timeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (context.Params?.ProgressToken is not null)
            {
                await Task.Delay(NotificationGrace, timeProvider, CancellationToken.None).ConfigureAwait(false);
            }
        }

        await following.CancelAsync().ConfigureAwait(false);
        await progress.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return Result(sessionId, runId, view);
    }

    private async Task CancelAsync(IAgentSessionGrain session, string runId)
    {
        try
        {
            await caller.SendAsync(null, () => session.CancelRunAsync(runId), CancellationToken.None).ConfigureAwait(false);
            LogCancelled(logger, runId);
        }
        catch (Exception ex) when (ex is RunConflictException or RunNotFoundException || SessionCalls.IsTransient(ex))
        {
            // Ended meanwhile, or unreachable: nothing more to do for a request that is gone.
            LogCancelFailed(logger, runId, ex.Message);
        }
    }

    private static CallToolResult Result(string sessionId, string runId, RunView? view)
    {
        var status = view?.Status ?? RunStatus.Queued;
        var structured = new JsonObject
        {
            ["sessionId"] = sessionId,
            ["runId"] = runId,
            ["status"] = status,
            ["reply"] = view?.Reply,
            ["reason"] = view?.Reason,
        };
        var ids = $"(session {sessionId}, run {runId})";
        string text;
        var isError = false;
        switch (status)
        {
            case RunStatus.Completed:
                text = view?.Reply ?? string.Empty;
                break;
            case RunStatus.Failed or RunStatus.Cancelled or RunStatus.BudgetExceeded:
                text = $"The run ended {status}: {view?.Reason ?? "no reason given"} {ids}.";
                isError = true;
                break;
            case RunStatus.AwaitingApproval:
                var pending = view?.Steps.SelectMany(static s => s.ToolCalls).FirstOrDefault(static c => c.Status == RunStatus.AwaitingApproval);
                var call = pending is null ? "{callId}" : pending.CallId;
                var what = pending is null ? "a tool call" : $"the tool call {pending.Name} {pending.Arguments}";
                text = string.Create(CultureInfo.InvariantCulture, $"The run waits for a person's approval of {what} {ids}. Approve or deny it with POST /v1/runs/{runId}/approvals/{call} and the body {{\"approve\": true}} or {{\"approve\": false}}; then follow the run at GET /v1/runs/{runId}.");
                break;
            default:
                text = $"The run is still {status} after the longest wait for a reply {ids}; follow it at GET /v1/runs/{runId}, or continue the session later.";
                break;
        }

        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = text }, new TextContentBlock { Text = ids }],
            StructuredContent = JsonSerializer.SerializeToElement(structured),
            IsError = isError,
        };
    }

    private static CallToolResult Error(string message) => new()
    {
        Content = [new TextContentBlock { Text = message }],
        IsError = true,
    };

    private static string Truncate(string text, int length) =>
        text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP call of agent {Agent} failed")]
    private static partial void LogFailed(ILogger logger, string agent, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP request cancelled: run {RunId} cancelled")]
    private static partial void LogCancelled(ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP request cancelled: run {RunId} could not be cancelled ({Reason})")]
    private static partial void LogCancelFailed(ILogger logger, string runId, string reason);
}
