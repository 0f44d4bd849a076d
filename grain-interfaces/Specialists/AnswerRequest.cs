using System.ComponentModel;
using Orleans;

namespace AgentGrains.GrainInterfaces.Specialists;

/// <summary>What the questioner asks the <c>answerer</c> specialist in a game of twenty questions.</summary>
/// <param name="Question">One yes/no question about the secret, or a guess (<c>Is it a penguin?</c>).</param>
/// <remarks>
/// The first question of a game starts with a line <c>New game: ...</c> carrying the player's opening
/// message; the question itself is the last line. The answerer replies <c>yes</c>, <c>no</c>, or
/// <c>correct</c> for a right guess.
/// </remarks>
[GenerateSerializer]
[Alias("agentgrains.AnswerRequest")]
public sealed record AnswerRequest(
    [property: Description("One yes/no question about the secret, or a guess such as \"Is it a penguin?\". The first question of a game starts with a line \"New game: <the player's message>\" and has the question on the next line.")]
    string Question);
