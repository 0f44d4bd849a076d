using System.Collections.Concurrent;
using System.ComponentModel;
using AgentGrains.Grains.Tools;

namespace AgentGrains.Tests.Gateway;

/// <summary>The tools of the run tests: <c>noop</c> (free of side effects) and <c>deploy</c> (side effects, needs a person's approval), with a record of every deploy.</summary>
public sealed class RunTools
{
    public const string Noop = "noop";

    public const string Deploy = "deploy";

    private readonly ConcurrentQueue<(string Target, string IdempotencyKey)> deploys = new();

    /// <summary>The deploys that ran, with the idempotency key each got.</summary>
    public IReadOnlyList<(string Target, string IdempotencyKey)> Deploys => [.. deploys];

    public static AgentTool NoopTool() => AgentTool.Create(NoopAsync, Noop);

    public AgentTool DeployTool() => AgentTool.Create(
        DeployAsync,
        Deploy,
        new AgentToolSettings { HasSideEffects = true, NeedsConfirmation = true, Risk = ToolRisk.High });

    [Description("Does nothing and says so.")]
    private static Task<string> NoopAsync([Description("Any text.")] string note) => Task.FromResult($"noted {note}");

    [Description("Deploys the service to a target environment.")]
    private Task<string> DeployAsync([Description("The environment.")] string target, ToolContext context)
    {
        deploys.Enqueue((target, context.IdempotencyKey));
        return Task.FromResult($"deployed {target}");
    }
}
