using AgentGrains.GrainInterfaces.Runs;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.GrainInterfaces;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.Client.Gateway.Sessions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Client.Gateway.Errors;

/// <summary>The one place where a failure becomes an HTTP status and an RFC 7807 problem details body.</summary>
/// <remarks>
/// Endpoints only return successes; every refusal (bad input, unknown session, conflict, timeout,
/// unavailable silo) is an exception mapped here, so one status per failure holds everywhere.
/// Messages of exceptions raised on purpose for callers are passed on; anything unexpected becomes a
/// 500 whose body names no type, message or stack, only the trace id to find it in the log.
/// </remarks>
internal sealed partial class GatewayExceptionHandler(ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is (OperationCanceledException or IOException) && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer, and it is not a server fault.
            LogRequestAborted(logger, httpContext.Request.Method, httpContext.Request.Path);
            return true;
        }

        var problem = ToProblem(exception, httpContext.Request.Headers[SessionEndpoints.IdempotencyKeyHeader].FirstOrDefault());
        var status = problem.Status ?? StatusCodes.Status500InternalServerError;
        if (status >= StatusCodes.Status500InternalServerError && !SessionCalls.IsTransient(exception))
        {
            LogUnexpectedFailure(logger, httpContext.Request.Method, httpContext.Request.Path, status, exception);
        }
        else if (status >= StatusCodes.Status500InternalServerError)
        {
            LogTransientFailure(logger, httpContext.Request.Method, httpContext.Request.Path, status, exception.Message);
        }
        else
        {
            LogRefused(logger, httpContext.Request.Method, httpContext.Request.Path, status, exception.Message);
        }

        problem.Instance = httpContext.Request.Path;
        await TypedResults.Problem(problem).ExecuteAsync(httpContext).ConfigureAwait(false);
        return true;
    }

    /// <summary>The exception-to-status mapping.</summary>
    /// <param name="exception">The failure.</param>
    /// <param name="idempotencyKey">The request's <c>Idempotency-Key</c> header, if it had one.</param>
    internal static ProblemDetails ToProblem(Exception exception, string? idempotencyKey = null) => exception switch
    {
        GatewayProblemException { Errors: { } errors } e => new HttpValidationProblemDetails(errors) { Status = e.StatusCode, Title = e.Title, Detail = e.Message },
        GatewayProblemException e => Problem(e.StatusCode, e.Title, e.Message),

        // Kestrel's own refusals (body over MaxRequestBodySize, truncated body) carry their status and a client-facing message.
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } e => Problem(e.StatusCode, "The request body is too large.", e.Message),
        BadHttpRequestException e => Problem(e.StatusCode, "The request could not be read.", e.Message),

        SessionNotFoundException e => Problem(StatusCodes.Status404NotFound, "Session not found.", e.Message),
        RunNotFoundException e => Problem(StatusCodes.Status404NotFound, "Run not found.", e.Message),
        RunConflictException e => Problem(StatusCodes.Status409Conflict, "The run does not allow this now.", e.Message),
        SessionBusyException e => Problem(StatusCodes.Status409Conflict, "The session is busy.", e.Message),
        UnknownAgentException e => Problem(StatusCodes.Status400BadRequest, "Unknown agent.", e.Message),
        SessionConflictException e => Problem(StatusCodes.Status409Conflict, "The session exists for another agent or user.", e.Message),
        // In the API's words: the grain's message names the key as stored and the grain call it was first used for.
        MessageKeyReusedException => Problem(
            StatusCodes.Status422UnprocessableEntity,
            "The idempotency key was used for a different request.",
            $"The Idempotency-Key {(idempotencyKey is null ? string.Empty : $"'{idempotencyKey}' ")}was already used for a different request to this session; send a new key with a new request, and the same key only to repeat a request exactly."),
        ArgumentException e => Problem(StatusCodes.Status400BadRequest, "Invalid argument.", e.Message),
        // Orleans' own: the session's silo died or cannot be reached (retried until Gateway:MaxReplyWait before it gets here), or a call timed out.
        Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException => Problem(
            StatusCodes.Status503ServiceUnavailable,
            "The silo is not available.",
            "The session's silo could not be reached; retry the request (with the same Idempotency-Key for a message)."),
        // Orleans' message names the grain call; the client needs only what to do.
        TimeoutException => Problem(
            StatusCodes.Status504GatewayTimeout,
            "The call timed out.",
            "The session did not answer in time; retry the request (with the same Idempotency-Key for a message)."),
        _ when SessionCalls.IsTransient(exception) => Problem(
            StatusCodes.Status503ServiceUnavailable,
            "Temporarily unavailable.",
            "A temporary failure occurred; retry the request (with the same Idempotency-Key for a message)."),
        _ => Problem(
            StatusCodes.Status500InternalServerError,
            "An unexpected error occurred.",
            "The request failed on the server; the server log has the details under this trace id."),
    };

    private static ProblemDetails Problem(int status, string title, string detail) =>
        new() { Status = status, Title = title, Detail = detail };

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path} refused with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, int status, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} failed with {Status}: {Reason}")]
    private static partial void LogTransientFailure(ILogger logger, string method, PathString path, int status, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with {Status}")]
    private static partial void LogUnexpectedFailure(ILogger logger, string method, PathString path, int status, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path}: the client aborted the request")]
    private static partial void LogRequestAborted(ILogger logger, string method, PathString path);
}
