using System.ComponentModel;
using System.Globalization;
using System.Text;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Grains.Memory;

/// <summary>The built-in <c>remember</c> and <c>recall</c> tools: the session's user's long-term memory, across sessions.</summary>
/// <remarks>
/// <c>remember</c> changes something outside the run, so it is keyed: a call invoked again after a
/// crash (the same idempotency key) stores nothing new. Both refuse, as a tool error the model can
/// read, in a session created without a user id.
/// </remarks>
/// <param name="memory">The memory they read and write.</param>
public sealed class MemoryTools(AgentMemory memory)
{
    /// <summary>The name of the tool that stores a fact.</summary>
    public const string RememberName = "remember";

    /// <summary>The name of the tool that searches the facts.</summary>
    public const string RecallName = "recall";

    /// <summary>What <c>recall</c> answers when nothing matches.</summary>
    public const string NothingFound = "nothing remembered matches";

    /// <summary>Registers both tools over the container's <see cref="AgentMemory"/>.</summary>
    public static void AddTo(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(static sp => AgentTool.FromMethod(new MemoryTools(sp.GetRequiredService<AgentMemory>()).RememberAsync));
        services.AddSingleton(static sp => AgentTool.FromMethod(new MemoryTools(sp.GetRequiredService<AgentMemory>()).RecallAsync));
    }

    /// <summary>Creates both tools.</summary>
    public static IEnumerable<AgentTool> Create(AgentMemory memory)
    {
        var tools = new MemoryTools(memory);
        yield return AgentTool.FromMethod(tools.RememberAsync);
        yield return AgentTool.FromMethod(tools.RecallAsync);
    }

    /// <summary>Stores one fact about the user.</summary>
    [AgentTool(RememberName, TimeoutSeconds = 10, Risk = ToolRisk.Low, SideEffects = true)]
    [Description("Remembers one fact about the user for later conversations (other sessions of the same user), e.g. \"My name is Ada.\" or \"Prefers answers in French.\". Use it when the user tells you something about themselves worth keeping.")]
    public async Task<string> RememberAsync(
        ToolContext context,
        [Description("The fact, one short statement (at most 500 characters).")] string fact,
        CancellationToken cancellationToken)
    {
        var stored = await memory.RememberAsync(context, fact, cancellationToken).ConfigureAwait(false);
        return $"remembered: {stored.Text}";
    }

    /// <summary>Searches the user's facts.</summary>
    [AgentTool(RecallName, TimeoutSeconds = 10, Risk = ToolRisk.Low)]
    [Description("Searches what was remembered about the user in earlier conversations; returns the most relevant facts, one per line, newest date first among equals.")]
    public async Task<string> RecallAsync(
        ToolContext context,
        [Description("What to look for, in words, e.g. \"name\" or \"favourite food\".")] string query,
        CancellationToken cancellationToken)
    {
        var userId = AgentMemory.UserOf(context);
        var facts = await memory.RecallAsync(userId, query ?? string.Empty, AgentMemory.DefaultLimit, cancellationToken).ConfigureAwait(false);
        if (facts.Count == 0)
        {
            return $"{NothingFound} '{query}'";
        }

        var text = new StringBuilder();
        foreach (var fact in facts)
        {
            text.Append(CultureInfo.InvariantCulture, $"- {fact.Text} (remembered {fact.CreatedAt.UtcDateTime:yyyy-MM-dd})\n");
        }

        return text.ToString().TrimEnd('\n');
    }
}
