using System.Collections.Concurrent;
using AgentGrains.Grains.Tools;

namespace AgentGrains.Tests.Fault;

/// <summary>
/// The outside world a side-effecting test tool changes, shared by every silo of a test: effects
/// are applied at most once per idempotency key (as a payment provider deduplicates), and every
/// invocation is counted separately, so a test sees both what happened and how often the engine tried.
/// </summary>
/// <remarks>
/// A test can hold the first invocation of a key at a point (<see cref="HoldFirstInvocation"/>):
/// before the effect (the tool started, nothing happened outside yet) or after it (the effect
/// happened, the result never reached the engine). A held invocation ends only when the engine
/// cancels it (its silo is killed).
/// </remarks>
public sealed class SideEffectLedger
{
    private readonly ConcurrentDictionary<string, int> invocations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> effects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (HoldPoint Point, TaskCompletionSource Held)> holds = new(StringComparer.Ordinal);

    /// <summary>Where a held invocation stops.</summary>
    public enum HoldPoint
    {
        /// <summary>Invoked, the effect not applied.</summary>
        BeforeEffect,

        /// <summary>The effect applied, the result not returned.</summary>
        AfterEffect,
    }

    /// <summary>The effects applied, by idempotency key (at most one each).</summary>
    public IReadOnlyDictionary<string, string> Effects => new Dictionary<string, string>(effects, StringComparer.Ordinal);

    /// <summary>How many times a tool was invoked for each key.</summary>
    public IReadOnlyDictionary<string, int> Invocations => new Dictionary<string, int>(invocations, StringComparer.Ordinal);

    /// <summary>How many invocations reached the point of applying the effect, by key (more than one: a deduplicated retry).</summary>
    public IReadOnlyDictionary<string, int> Attempts => new Dictionary<string, int>(attempts, StringComparer.Ordinal);

    /// <summary>Holds the first invocation for <paramref name="key"/> at <paramref name="point"/> until it is cancelled.</summary>
    public void HoldFirstInvocation(string key, HoldPoint point) =>
        holds[key] = (point, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Waits until the first invocation for <paramref name="key"/> is held.</summary>
    public async Task WaitUntilHeldAsync(string key, TimeSpan timeout)
    {
        try
        {
            await holds[key].Held.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The tool call with idempotency key {key} was not invoked within {timeout.TotalSeconds:0.#} s (invocations so far: {string.Join(", ", Invocations.Select(i => $"{i.Key}={i.Value}"))}).");
        }
    }

    /// <summary>One invocation of a side-effecting tool: applies <paramref name="effect"/> once per key and returns it.</summary>
    public async Task<string> ApplyAsync(ToolContext context, string effect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var key = context.IdempotencyKey;
        var invocation = invocations.AddOrUpdate(key, 1, static (_, n) => n + 1);
        var hold = invocation == 1 && holds.TryGetValue(key, out var h) ? h : default;
        if (hold.Held is not null && hold.Point == HoldPoint.BeforeEffect)
        {
            await HoldAsync(hold.Held, cancellationToken);
        }

        attempts.AddOrUpdate(key, 1, static (_, n) => n + 1);
        effects.TryAdd(key, effect);
        if (hold.Held is not null && hold.Point == HoldPoint.AfterEffect)
        {
            await HoldAsync(hold.Held, cancellationToken);
        }

        return effects[key];
    }

    private static async Task HoldAsync(TaskCompletionSource held, CancellationToken cancellationToken)
    {
        held.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
