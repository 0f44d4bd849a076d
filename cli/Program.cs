namespace AgentGrains.Cli;

/// <summary>The <c>agentgrains</c> executable.</summary>
internal static class Program
{
    public static Task<int> Main(string[] args) => CliApp.RunAsync(args, CliConsole.FromProcess());
}
