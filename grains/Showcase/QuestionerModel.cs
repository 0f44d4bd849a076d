using System.Globalization;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Showcase;

/// <summary>The <c>twenty-questions</c> manager's offline model: asks the <c>answerer</c> the question that best splits what is left.</summary>
/// <remarks>
/// <para>It replays the current run's calls and answers to know which animals still fit, then asks
/// one question per reply: while several fit, the question not asked yet whose yes and no halves
/// are closest in size (the first in table order on a tie); once one fits, the guess
/// <c>Is it a ...?</c>. The first question carries the player's message as its opening line
/// (<see cref="TwentyQuestions.Opening"/>), which the answerer draws its secret from; this model
/// never reads a <c>secret:</c> word itself, it only forwards the message.</para>
/// <para>It ends with <c>Found it in N questions: penguin.</c>, <c>Gave up after 20 questions.</c>,
/// or, if the answerer fails or answers something other than yes, no or correct, a sentence saying so.</para>
/// </remarks>
internal sealed class QuestionerModel() : OfflineChatClient("offline-questioner")
{
    /// <inheritdoc />
    protected override ChatMessage Decide(IReadOnlyList<ChatMessage> messages)
    {
        var remaining = Animals.All.ToList();
        var asked = new HashSet<int>();
        var calls = CallsOfCurrentRun(messages).Where(static c => c.Call.Name == ShowcaseAgents.AnswererName && c.Result is not null).ToList();
        foreach (var (call, result, number) in calls.Select(static (c, i) => (c.Call, c.Result!, i + 1)))
        {
            var question = TwentyQuestions.QuestionOf(StringArgument(call, "question") ?? string.Empty);
            if (result.StartsWith(Tools.ToolResult.ErrorPrefix, StringComparison.Ordinal))
            {
                return Say($"Stopped after {Questions(number)}: the answerer failed ({result[Tools.ToolResult.ErrorPrefix.Length..]}).");
            }

            var answer = TwentyQuestions.Normalize(result);
            var guess = Animals.Guessed(question);
            var index = guess is null ? Animals.QuestionIndex(question) : -1;
            switch (answer)
            {
                case TwentyQuestions.Correct when guess is not null:
                    return Say($"Found it in {Questions(number)}: {guess.Name}.");
                case TwentyQuestions.No when guess is not null:
                    remaining.Remove(guess);
                    break;
                case TwentyQuestions.Yes or TwentyQuestions.No when index >= 0:
                    asked.Add(index);
                    var yes = answer == TwentyQuestions.Yes;
                    remaining.RemoveAll(a => a.Answers[index] != yes);
                    break;
                default:
                    return Say($"Stopped after {Questions(number)}: the answerer replied \"{result}\" to \"{question}\", and I can only play on yes, no or correct.");
            }
        }

        if (calls.Count >= TwentyQuestions.MaxQuestions)
        {
            return Say($"Gave up after {Questions(TwentyQuestions.MaxQuestions)}.");
        }

        if (remaining.Count == 0)
        {
            return Say($"Gave up after {Questions(calls.Count)}: no animal I know fits those answers.");
        }

        var next = remaining.Count == 1 ? remaining[0].Guess : BestQuestion(remaining, asked) ?? remaining[0].Guess;
        var request = calls.Count == 0 ? TwentyQuestions.Opening(Input(messages), next) : next;
        return Call(messages, (ShowcaseAgents.AnswererName, new Dictionary<string, object?> { ["question"] = request }));
    }

    /// <summary>The question not asked yet that splits <paramref name="remaining"/> most evenly; null when none splits it at all.</summary>
    internal static string? BestQuestion(IReadOnlyList<Animal> remaining, IReadOnlySet<int> asked)
    {
        ArgumentNullException.ThrowIfNull(remaining);
        ArgumentNullException.ThrowIfNull(asked);
        int? best = null;
        var bestImbalance = int.MaxValue;
        for (var i = 0; i < Animals.Questions.Count; i++)
        {
            var yes = remaining.Count(a => a.Answers[i]);
            var imbalance = Math.Abs((2 * yes) - remaining.Count);
            if (!asked.Contains(i) && yes > 0 && yes < remaining.Count && imbalance < bestImbalance)
            {
                best = i;
                bestImbalance = imbalance;
            }
        }

        return best is { } index ? Animals.Questions[index] : null;
    }

    private static string Questions(int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? "question" : "questions")}");
}
