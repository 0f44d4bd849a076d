using System.Text.Json;
using AgentGrains.GrainInterfaces.Specialists;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Showcase;

/// <summary>The <c>answerer</c> specialist's offline model: holds a secret animal and answers <c>yes</c>, <c>no</c> or <c>correct</c>.</summary>
/// <remarks>
/// <para>Its session keeps one conversation per game (its contract keeps the conversation), so it
/// sees the game's earlier requests. The secret is <see cref="Animals.SecretFor"/> of the opening
/// message of the newest request that starts a game (<see cref="TwentyQuestions.NewGame"/>): the
/// animal named as <c>secret: penguin</c>, else one chosen by a stable hash of that message. With no
/// such request in view it hashes the oldest request it sees.</para>
/// <para>A question it does not recognise gets a reply that is none of the three answers, which the
/// questioner reports instead of guessing on.</para>
/// </remarks>
internal sealed class AnswererModel() : OfflineChatClient("offline-answerer")
{
    /// <summary>The secret of the game <paramref name="messages"/> belong to.</summary>
    public static Animal SecretOf(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var requests = messages.Where(static m => m.Role == ChatRole.User).Select(static m => RequestText(m.Text)).ToList();
        var opening = requests.AsEnumerable().Reverse().Select(TwentyQuestions.OpeningOf).FirstOrDefault(static o => o is not null)
            ?? requests.FirstOrDefault()
            ?? string.Empty;
        return Animals.SecretFor(opening);
    }

    /// <inheritdoc />
    protected override ChatMessage Decide(IReadOnlyList<ChatMessage> messages)
    {
        var secret = SecretOf(messages);
        var question = TwentyQuestions.QuestionOf(RequestText(Input(messages)));
        if (Animals.Guessed(question) is { } guess)
        {
            return Say(guess == secret ? TwentyQuestions.Correct : TwentyQuestions.No);
        }

        var index = Animals.QuestionIndex(question);
        return index >= 0
            ? Say(secret.Answers[index] ? TwentyQuestions.Yes : TwentyQuestions.No)
            : Say($"I can only answer these questions: {string.Join(" ", Animals.Questions)} Or guess: \"Is it a <animal>?\"");
    }

    /// <summary>The question of an <see cref="AnswerRequest"/> JSON message; the text itself when it is not one.</summary>
    private static string RequestText(string message)
    {
        try
        {
            return JsonSerializer.Deserialize<AnswerRequest>(message, Json)?.Question ?? message;
        }
        catch (JsonException)
        {
            return message;
        }
    }
}
