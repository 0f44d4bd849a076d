using Microsoft.AspNetCore.Http;

namespace AgentGrains.Client.Gateway.Errors;

/// <summary>Says what to do in the problem details ASP.NET Core writes itself (no route, wrong method, wrong content type, an unreadable parameter).</summary>
/// <remarks>
/// Those refusals happen in routing and parameter binding, before an endpoint runs, and come with a
/// title only. Refusals raised by the gateway carry their own detail and are left as they are.
/// </remarks>
internal static class StatusCodeProblems
{
    private const string Reference = "the API's operations are in the OpenAPI document at /openapi/v1.json";

    public static void Describe(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Detail is not null)
        {
            return;
        }

        var request = context.HttpContext.Request;
        problem.Instance ??= request.Path;
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound => $"There is nothing at {request.Path}; {Reference}.",
            StatusCodes.Status405MethodNotAllowed => context.HttpContext.Response.Headers.Allow is { Count: > 0 } allow
                ? $"{request.Method} is not allowed on {request.Path}; it allows {string.Join(", ", allow.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))}."
                : $"{request.Method} is not allowed on {request.Path}; {Reference}.",
            StatusCodes.Status415UnsupportedMediaType =>
                $"The request body must be JSON sent with 'Content-Type: application/json' (with curl: -H 'Content-Type: application/json'); it was '{request.ContentType ?? "(none)"}'.",
            StatusCodes.Status400BadRequest => $"A parameter of the request could not be read; {Reference}.",
            StatusCodes.Status401Unauthorized =>
                "This gateway needs an API key: send 'Authorization: Bearer <key>' with a key its operator configured (Gateway:ApiKeys); a key that was removed is refused.",
            StatusCodes.Status429TooManyRequests => context.HttpContext.Response.Headers.RetryAfter is { Count: > 0 } retry
                ? $"This tenant sends more requests than its rate limit allows; retry after {retry} s (the Retry-After header)."
                : "This tenant sends more requests than its rate limit allows; retry later.",
            StatusCodes.Status403Forbidden => $"The API key is known but its roles do not allow {request.Method} {request.Path}: it needs a key with the admin role.",
            _ => null,
        };
    }
}
