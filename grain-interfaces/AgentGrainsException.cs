namespace AgentGrains.GrainInterfaces;

/// <summary>The root of every exception the project raises on purpose.</summary>
/// <remarks>
/// Callers decide whether to retry from <see cref="IsTransient"/>, never by parsing messages.
/// Subclasses with a public <c>(string message)</c> constructor cross the grain boundary as
/// themselves: a grain that throws one makes its caller see the same type.
/// </remarks>
public abstract class AgentGrainsException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected AgentGrainsException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Whether the same operation may succeed if retried (with the same idempotency key).</summary>
    public abstract bool IsTransient { get; }
}
