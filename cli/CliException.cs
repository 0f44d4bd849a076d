namespace AgentGrains.Cli;

/// <summary>A failure the CLI reports in one line on standard error, with its exit code.</summary>
internal sealed class CliException : Exception
{
    public CliException(string message, int exitCode = ExitCodes.Error, bool transient = false)
        : base(message)
    {
        ExitCode = exitCode;
        Transient = transient;
    }

    public CliException()
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Whether trying again may work (the gateway could not be reached, or was unavailable).</summary>
    public bool Transient { get; }

    /// <summary>What the process exits with.</summary>
    public int ExitCode { get; } = ExitCodes.Error;
}

/// <summary>The CLI's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The gateway could not be reached, or refused the request.</summary>
    public const int Error = 1;

    /// <summary>The command line was not understood.</summary>
    public const int Usage = 2;
}
