namespace AgentGrains.Grains.Showcase;

/// <summary>The conventions questioner and answerer share: how a game starts, how many questions it has, what the answers are.</summary>
internal static class TwentyQuestions
{
    /// <summary>How many questions (guesses included) a game may use.</summary>
    public const int MaxQuestions = 20;

    /// <summary>The first line of a game's first question starts with this, followed by the player's opening message.</summary>
    public const string NewGame = "New game:";

    /// <summary>The answer to a question whose answer is yes.</summary>
    public const string Yes = "yes";

    /// <summary>The answer to a question whose answer is no, and to a wrong guess.</summary>
    public const string No = "no";

    /// <summary>The answer to a guess that names the secret.</summary>
    public const string Correct = "correct";

    /// <summary>The first question of a game: the opening line, then the question.</summary>
    public static string Opening(string opening, string question) => $"{NewGame} {opening.ReplaceLineEndings(" ").Trim()}\n{question}";

    /// <summary>The opening message when <paramref name="request"/> starts a game, else null.</summary>
    public static string? OpeningOf(string request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var first = request.ReplaceLineEndings("\n").Split('\n')[0].Trim();
        return first.StartsWith(NewGame, StringComparison.OrdinalIgnoreCase) ? first[NewGame.Length..].Trim() : null;
    }

    /// <summary>The question itself: the request's last non-empty line (after the opening line of a first question).</summary>
    public static string QuestionOf(string request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
    }

    /// <summary>An answer as one lower-case word without trailing punctuation (<c>Yes.</c> is <c>yes</c>).</summary>
    public static string Normalize(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return answer.Trim().TrimEnd('.', '!').Trim().ToLowerInvariant();
    }
}
