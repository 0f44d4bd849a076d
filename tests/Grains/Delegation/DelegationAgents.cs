using System.ComponentModel;
using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Delegation;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Grains.Delegation;

/// <summary>The request every test specialist takes.</summary>
/// <param name="Task">What to do.</param>
public sealed record TaskRequest([property: Description("What to do, in a few words.")] string Task);

/// <summary>The agents of the delegation tests; <see cref="DelegationScript"/> plays them.</summary>
public static class DelegationAgents
{
    public const string Manager = "manager";
    public const string Worker = "worker";
    public const string Ping = "ping";
    public const string Pong = "pong";
    public const string Top = "top";
    public const string Mid = "mid";
    public const string Leaf = "leaf";
    public const string Broken = "broken";
    public const string Greedy = "greedy";
    public const string Resilient = "resilient";
    public const string Thrifty = "thrifty";
    public const string Impatient = "impatient";
    public const string Slowpoke = "slowpoke";
    public const string Careful = "careful";
    public const string Overseer = "overseer";
    public const string Triage = "triage";
    public const string Billing = "billing";
    public const string Hasty = "hasty";

    /// <summary>A tool that waits for a person's approval.</summary>
    public const string Launch = "launch";

    /// <summary>How long <see cref="Impatient"/> waits for <see cref="Slowpoke"/>.</summary>
    public static readonly TimeSpan SlowpokeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Tokens a <see cref="Greedy"/> run may use: less than one reply.</summary>
    public const long GreedyTokens = 50;

    /// <summary>Tokens a <see cref="Thrifty"/> run may use: its own step and one worker's, not two workers'.</summary>
    public const long ThriftyTokens = 250;

    /// <summary>Registers the agents and the <see cref="Launch"/> tool.</summary>
    public static void AddTo(IServiceCollection services, TimeSpan watchdogPeriod)
    {
        services.AddSingleton(AgentTool.Create(LaunchAsync, Launch, new AgentToolSettings { HasSideEffects = true, NeedsConfirmation = true }));
        foreach (var agent in All(watchdogPeriod))
        {
            services.AddSingleton(agent);
        }
    }

    public static IEnumerable<AgentDefinition> All(TimeSpan watchdogPeriod)
    {
        var contract = SpecialistContract.For<TaskRequest, string>("Does the task it is given and says what it did.");
        AgentDefinition Agent(string name, IReadOnlyList<string> specialists, bool specialist = true, long? maxTokens = null) =>
            new(name, $"agent:{name} Do the task you are given.", [])
            {
                Specialists = specialists,
                Contract = specialist ? contract : null,
                WatchdogPeriod = watchdogPeriod,
                MaxTokens = maxTokens,
            };

        yield return Agent(Manager, [Worker], specialist: false);
        yield return Agent(Worker, []);
        yield return Agent(Ping, [Pong]);
        yield return Agent(Pong, [Ping]);
        yield return Agent(Top, [Mid], specialist: false);
        yield return Agent(Mid, [Leaf]);
        yield return Agent(Leaf, []);
        for (var level = 1; level <= 4; level++)
        {
            yield return Agent($"d{level}", level < 4 ? [$"d{level + 1}"] : []);
        }

        yield return CodeSpecialist.Define<TaskRequest, string>(
            Broken, "Always fails.", static (_, _) => throw new InvalidOperationException("the disk is on fire"));
        yield return Agent(Greedy, [Worker], maxTokens: GreedyTokens);
        yield return Agent(Resilient, [Worker, Broken, Greedy], specialist: false);
        yield return Agent(Thrifty, [Worker], specialist: false, maxTokens: ThriftyTokens);
        yield return Agent(Impatient, [Slowpoke], specialist: false);
        yield return Agent(Overseer, [Careful], specialist: false);
        yield return new AgentDefinition(Triage, $"agent:{Triage} Hand each conversation to the right agent.", []) { Handoffs = [Billing], WatchdogPeriod = watchdogPeriod };
        yield return Agent(Billing, [], specialist: false);
        yield return new AgentDefinition(Hasty, $"agent:{Hasty} Be quick.", []) { Specialists = [Leaf], MaxWallTime = SlowpokeTimeout, WatchdogPeriod = watchdogPeriod };
        yield return new AgentDefinition(Careful, $"agent:{Careful} Launch what you are asked to.", [Launch])
        {
            // Shorter than a person takes to decide: the wait for approval must not count.
            Contract = SpecialistContract.For<TaskRequest, string>("Launches things, with a person's approval.", SlowpokeTimeout),
            WatchdogPeriod = watchdogPeriod,
        };
        yield return new AgentDefinition(Slowpoke, $"agent:{Slowpoke} Take your time.", [])
        {
            Contract = SpecialistContract.For<TaskRequest, string>("Does the task, slowly.", SlowpokeTimeout),
            WatchdogPeriod = watchdogPeriod,
        };
    }

    [Description("Launches what it is given.")]
    private static Task<string> LaunchAsync([Description("What to launch.")] string task) => Task.FromResult($"launched {task}");
}
