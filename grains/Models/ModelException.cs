using AgentGrains.GrainInterfaces;

namespace AgentGrains.Grains.Models;

/// <summary>The model provider refused a request or could not be reached, after any retries.</summary>
/// <remarks>
/// The message carries the provider's own error text (never the API key), e.g.
/// <c>The model provider answered 401 (invalid_api_key): Incorrect API key provided ...</c>.
/// Caller cancellation is never reported this way: it stays an <see cref="OperationCanceledException"/>.
/// </remarks>
public sealed class ModelException : AgentGrainsException
{
    /// <summary>Creates the exception from its message alone, as it arrives after crossing a grain boundary.</summary>
    /// <remarks>Only the message crosses: <see cref="StatusCode"/> is null, <see cref="Attempts"/> 0 and it is not transient.</remarks>
    public ModelException(string message)
        : this(message, statusCode: null, isTransient: false, attempts: 0)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, with the provider's error text.</param>
    /// <param name="statusCode">The provider's HTTP status, or null when no answer came (connection failure, timeout).</param>
    /// <param name="isTransient">Whether the same request may succeed later (rate limit, overload, timeout).</param>
    /// <param name="attempts">How many requests were sent, retries included.</param>
    /// <param name="innerException">The provider client's exception.</param>
    public ModelException(string message, int? statusCode, bool isTransient, int attempts, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        IsTransient = isTransient;
        Attempts = attempts;
    }

    /// <summary>The provider's HTTP status, or null when no answer came (connection failure, timeout).</summary>
    public int? StatusCode { get; }

    /// <inheritdoc />
    /// <remarks>True when the retries ran out on a transient failure (429, 5xx, timeout, connection failure).</remarks>
    public override bool IsTransient { get; }

    /// <summary>How many requests were sent, retries included.</summary>
    public int Attempts { get; }
}
