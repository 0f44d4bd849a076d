using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace AgentGrains.Tests.Deploy;

/// <summary>Renders a kustomization with <c>kubectl kustomize</c> (offline: no cluster needed).</summary>
/// <remarks>
/// Without kubectl the tests that need it are skipped on a developer's machine and fail under CI (<c>CI=true</c>),
/// where test.sh installs Debian's kubernetes-client package.
/// </remarks>
internal static class Kustomize
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<List<JsonObject>>>> Rendered = new(StringComparer.Ordinal);

    /// <summary>The objects <c>kubectl kustomize</c> renders from <paramref name="directory"/> (relative to the repository root).</summary>
    public static Task<List<JsonObject>> RenderAsync(string directory)
    {
        var kubectl = FindKubectl();
        if (kubectl is null)
        {
            const string Missing = "kubectl is not on PATH; install it (Debian: apt-get install kubernetes-client; test.sh does so)";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(Missing + ". Under CI the manifests must be checked, not skipped.");
            }

            Assert.Skip(Missing + " to check the rendered manifests.");
        }

        return Rendered.GetOrAdd(directory, d => new Lazy<Task<List<JsonObject>>>(() => RunAsync(kubectl, d))).Value;
    }

    private static async Task<List<JsonObject>> RunAsync(string kubectl, string directory)
    {
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryFiles.Root,
        };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{kubectl} did not start.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl kustomize {directory} took over 60 s.");
        }

        var text = await output.ConfigureAwait(false);
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {directory} exited {process.ExitCode}: {await error.ConfigureAwait(false)}");
        return Yaml.Documents(text);
    }

    private static string? FindKubectl() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "kubectl"))
            .FirstOrDefault(File.Exists);
}
