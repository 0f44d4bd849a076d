namespace AgentGrains.Runtime;

/// <summary>A grain method failed with an exception that does not cross the grain boundary as itself.</summary>
public sealed class GrainInvocationException : AgentGrainsException
{
    /// <summary>Creates the exception.</summary>
    public GrainInvocationException(string message)
        : this("System.Exception", message)
    {
    }

    /// <summary>Creates the exception for an original exception type.</summary>
    public GrainInvocationException(string exceptionType, string message)
        : base(message) => ExceptionType = exceptionType;

    /// <summary>The full name of the exception type the grain threw.</summary>
    public string ExceptionType { get; }

    /// <inheritdoc />
    public override bool IsTransient => false;
}
