using System.Diagnostics;
using System.Text;

namespace AgentGrains.Tests.Cli;

/// <summary>The <c>agentgrains</c> executable run as a user runs it: arguments, lines on standard input, and what it printed and exited with.</summary>
public static class CliProcess
{
    /// <summary>The CLI's assembly, copied beside the tests by the project reference.</summary>
    public const string Assembly = "agentgrains.dll";

    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Runs the CLI to its end; <paramref name="gateway"/> goes in <c>AGENTGRAINS_GATEWAY</c> (unset when null).</summary>
    public static async Task<CliResult> RunAsync(Uri? gateway, string? input, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, Assembly));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("AGENTGRAINS_GATEWAY");
        if (gateway is not null)
        {
            start.Environment["AGENTGRAINS_GATEWAY"] = gateway.ToString().TrimEnd('/');
        }

        var ct = TestContext.Current.CancellationToken;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(ct).WaitAsync(ExitTimeout, ct);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return new CliResult(process.ExitCode, (await output).ReplaceLineEndings("\n"), (await errors).ReplaceLineEndings("\n"));
    }
}

/// <summary>How a CLI run ended.</summary>
public sealed record CliResult(int ExitCode, string Output, string Errors)
{
    /// <summary>Standard output's lines, without the empty ones.</summary>
    public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}--- stderr\n{Errors}";
}
