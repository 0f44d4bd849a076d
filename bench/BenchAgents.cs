using System.ComponentModel;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Bench;

/// <summary>The agents the benchmarks run: a scripted model, a no-op tool, and a specialist written as code.</summary>
internal static class BenchAgents
{
    /// <summary>The no-op tool: free of side effects, so it runs before its reply is journaled and commits with it.</summary>
    public const string Noop = "noop";

    /// <summary>A specialist written as code that echoes its text.</summary>
    public const string Echo = "echo";

    /// <summary>An agent whose model calls the no-op tool <paramref name="toolSteps"/> times, then answers: <paramref name="toolSteps"/> + 1 steps per run.</summary>
    public static AgentDefinition ToolLoop(string name, int toolSteps, StepTimeline? timeline = null) =>
        new(name, "Call noop, then answer.", [Noop])
        {
            ChatClient = new ToolLoopModel(Noop, toolSteps, new Dictionary<string, object?>(), timeline),
            MaxSteps = toolSteps + 1,
        };

    /// <summary>An agent whose model calls the <see cref="Echo"/> specialist once, then answers.</summary>
    public static AgentDefinition Delegating(string name, StepTimeline? timeline = null) =>
        new(name, "Call echo, then answer.", [])
        {
            ChatClient = new ToolLoopModel(Echo, 1, new Dictionary<string, object?> { ["text"] = "go" }, timeline),
            Specialists = [Echo],
        };

    /// <summary>Registers the no-op tool and the echo specialist, and <paramref name="agents"/>.</summary>
    public static void Add(IServiceCollection services, StepTimeline? timeline, params AgentDefinition[] agents)
    {
        services.AddSingleton(AgentTool.Create(new NoopTool(timeline).Invoke, Noop));
        services.AddSingleton(CodeSpecialist.Define<EchoRequest, string>(Echo, "Echoes its text.", static (request, _) => Task.FromResult(request.Text ?? string.Empty)));
        foreach (var agent in agents)
        {
            services.AddSingleton(agent);
        }
    }

    /// <summary>The request of the <see cref="Echo"/> specialist.</summary>
    /// <param name="Text">What to echo.</param>
    internal sealed record EchoRequest([property: Description("What to echo.")] string? Text);

    private sealed class NoopTool(StepTimeline? timeline)
    {
        [Description("Does nothing.")]
        public string Invoke(ToolContext context)
        {
            timeline?.Mark(StepTimeline.Kind.Tool, context.SessionId);
            return "ok";
        }
    }
}
