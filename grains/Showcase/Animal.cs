namespace AgentGrains.Grains.Showcase;

/// <summary>One candidate secret of twenty questions and its answers to the <see cref="Animals.Questions"/>, in that order.</summary>
/// <param name="Name">The animal, lower case (<c>penguin</c>).</param>
/// <param name="Answers">One answer per question of <see cref="Animals.Questions"/>.</param>
internal sealed record Animal(string Name, bool[] Answers)
{
    /// <summary>The guess that names this animal: <c>Is it a penguin?</c>, <c>Is it an owl?</c>.</summary>
    public string Guess => $"Is it {("aeiou".Contains(Name[0], StringComparison.Ordinal) ? "an" : "a")} {Name}?";
}
