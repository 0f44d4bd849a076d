using Microsoft.AspNetCore.Http;

namespace AgentGrains.Client.Gateway.Errors;

/// <summary>A request the gateway refuses before it reaches a grain: bad body, bad id, bad header.</summary>
/// <remarks>
/// Thrown by request parsing and validation so that <see cref="GatewayExceptionHandler"/> stays the
/// one place that turns failures into problem details. Its message is written for the client.
/// </remarks>
internal sealed class GatewayProblemException : Exception
{
    private GatewayProblemException(int statusCode, string title, string detail, IDictionary<string, string[]>? errors = null)
        : base(detail)
    {
        StatusCode = statusCode;
        Title = title;
        Errors = errors;
    }

    public int StatusCode { get; }

    public string Title { get; }

    /// <summary>Field name to messages, for a validation problem; <c>null</c> otherwise.</summary>
    public IDictionary<string, string[]>? Errors { get; }

    public static GatewayProblemException Invalid(string field, string message) => new(
        StatusCodes.Status400BadRequest,
        "One or more validation errors occurred.",
        message,
        new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public static GatewayProblemException Forbidden(string detail) => new(StatusCodes.Status403Forbidden, "Not allowed for this API key.", detail);

    public static GatewayProblemException NotFound(string title, string detail) => new(StatusCodes.Status404NotFound, title, detail);

    public static GatewayProblemException MalformedJson(string detail) => new(
        StatusCodes.Status400BadRequest, "The request body is not valid JSON for this operation.", detail);

    public static GatewayProblemException PayloadTooLarge(long limit) => new(
        StatusCodes.Status413PayloadTooLarge, "The request body is too large.", $"The request body is larger than {limit} bytes.");

    public static GatewayProblemException UnsupportedMediaType(string? contentType) => new(
        StatusCodes.Status415UnsupportedMediaType,
        "Unsupported media type.",
        $"The request body must be JSON sent with 'Content-Type: application/json'; it was '{contentType ?? "(none)"}'.");
}
