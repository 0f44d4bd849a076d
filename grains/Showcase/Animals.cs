using System.Text;
using System.Text.RegularExpressions;

namespace AgentGrains.Grains.Showcase;

/// <summary>The table twenty questions is played over: 16 animals and 10 yes/no questions that tell every one of them apart.</summary>
/// <remarks>
/// Both offline models read it: the answerer answers from its secret's row, the questioner narrows
/// the candidates with the answers it got. The rows are pairwise different, so asking every
/// question always leaves one animal.
/// </remarks>
internal static partial class Animals
{
    /// <summary>The questions, as the questioner asks them (the answerer also recognises them by keyword).</summary>
    public static IReadOnlyList<string> Questions { get; } =
    [
        "Is it a mammal?",
        "Is it a bird?",
        "Can it fly?",
        "Does it live in water?",
        "Is it kept as a pet?",
        "Is it bigger than a person?",
        "Does it eat meat?",
        "Does it have stripes or spots?",
        "Does it have hooves?",
        "Is it active mainly at night?",
    ];

    // Keywords (as Keywords.Of normalizes them) of each question, for a question worded differently
    // (a real model asking the offline answerer); the first question with a keyword in the text wins.
    private static readonly string[][] QuestionKeywords =
    [
        ["mammal"], ["bird"], ["fly", "flie", "flying"], ["water", "swim", "sea", "ocean"], ["pet", "pets", "domestic"],
        ["bigger", "big", "large", "person", "human"], ["meat", "carnivore", "prey", "hunt"], ["stripe", "spot", "striped", "spotted"],
        ["hoove", "hoof"], ["night", "nocturnal"],
    ];

    /// <summary>The candidates, in table order.</summary>
    public static IReadOnlyList<Animal> All { get; } =
    [
        //                mammal bird   fly    water  pet    big    meat   stripe hooves night
        new("dog",      [true,  false, false, false, true,  false, true,  false, false, false]),
        new("cat",      [true,  false, false, false, true,  false, true,  false, false, true]),
        new("horse",    [true,  false, false, false, false, true,  false, false, true,  false]),
        new("zebra",    [true,  false, false, false, false, true,  false, true,  true,  false]),
        new("elephant", [true,  false, false, false, false, true,  false, false, false, false]),
        new("tiger",    [true,  false, false, false, false, true,  true,  true,  false, true]),
        new("bat",      [true,  false, true,  false, false, false, false, false, false, true]),
        new("dolphin",  [true,  false, false, true,  false, true,  true,  false, false, false]),
        new("shark",    [false, false, false, true,  false, true,  true,  false, false, false]),
        new("penguin",  [false, true,  false, true,  false, false, true,  false, false, false]),
        new("owl",      [false, true,  true,  false, false, false, true,  false, false, true]),
        new("eagle",    [false, true,  true,  false, false, false, true,  false, false, false]),
        new("parrot",   [false, true,  true,  false, true,  false, false, false, false, false]),
        new("frog",     [false, false, false, true,  false, false, true,  true,  false, true]),
        new("goldfish", [false, false, false, true,  true,  false, false, false, false, false]),
        new("snake",    [false, false, false, false, false, false, true,  true,  false, true]),
    ];

    /// <summary>The candidate names, comma separated, for instructions.</summary>
    public static string Names => string.Join(", ", All.Select(static a => a.Name));

    /// <summary>The animal named <paramref name="name"/> (any case), or null.</summary>
    public static Animal? Find(string name) =>
        All.FirstOrDefault(a => string.Equals(a.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The index of the question <paramref name="question"/> asks: the exact text first, else its keyword; -1 when none.</summary>
    public static int QuestionIndex(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var trimmed = question.Trim();
        for (var i = 0; i < Questions.Count; i++)
        {
            if (string.Equals(Questions[i], trimmed, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        var words = Keywords.Of(trimmed).ToHashSet(StringComparer.Ordinal);
        return Array.FindIndex(QuestionKeywords, keywords => keywords.Any(words.Contains));
    }

    /// <summary>The animal a guess names (<c>Is it a penguin?</c>, <c>is it an owl</c>), or null when the text is not a guess.</summary>
    public static Animal? Guessed(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var match = GuessPattern().Match(question.Trim());
        return match.Success ? Find(match.Groups["name"].Value) : null;
    }

    /// <summary>The secret of a game opened by <paramref name="opening"/>: the animal named after <c>secret:</c>, else one chosen by a stable hash of the text.</summary>
    /// <remarks>
    /// The hash is 32-bit FNV-1a over the UTF-8 bytes of the trimmed, lower-cased text. Unlike
    /// <see cref="string.GetHashCode()"/>, which is randomized per process, it picks the same animal
    /// for the same opening on every silo and after every restart.
    /// </remarks>
    public static Animal SecretFor(string opening)
    {
        ArgumentNullException.ThrowIfNull(opening);
        var named = SecretPattern().Match(opening);
        if (named.Success && Find(named.Groups["name"].Value) is { } chosen)
        {
            return chosen;
        }

        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(opening.Trim().ToLowerInvariant()))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return All[(int)(hash % (uint)All.Count)];
    }

    [GeneratedRegex(@"^is\s+it\s+(?:a|an|the)\s+(?<name>[\p{L}-]+)\s*\??$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GuessPattern();

    [GeneratedRegex(@"\bsecret\s*[:=]\s*(?<name>[\p{L}-]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretPattern();
}
