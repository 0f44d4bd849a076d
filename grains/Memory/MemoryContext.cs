using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Memory;

/// <summary>The system message that gives a model call of an agent with memory the user's facts relevant to the run's message.</summary>
/// <remarks>
/// One fact per line after <see cref="Heading"/>, most relevant first. The facts were recalled once,
/// when the run started, and journaled with it, so every step of the run (and a resumed run) sees the
/// same ones; the next run recalls again, so a deleted fact is in no later context.
/// </remarks>
public static class MemoryContext
{
    /// <summary>The first line of the message.</summary>
    public const string Heading = "What you remember about the user from earlier conversations (most relevant first):";

    /// <summary>The message carrying <paramref name="facts"/>.</summary>
    public static ChatMessage Carrier(IEnumerable<string> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return new ChatMessage(ChatRole.System, Heading + "\n" + string.Join("\n", facts.Select(static f => "- " + f.ReplaceLineEndings(" "))));
    }

    /// <summary>The facts a message carries; empty when it is not a memory message.</summary>
    public static IReadOnlyList<string> CarriedBy(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Role != ChatRole.System || message.Text is not { } text || !text.StartsWith(Heading, StringComparison.Ordinal))
        {
            return [];
        }

        return [.. text[Heading.Length..].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(static line => line.StartsWith("- ", StringComparison.Ordinal))
            .Select(static line => line[2..])];
    }
}
