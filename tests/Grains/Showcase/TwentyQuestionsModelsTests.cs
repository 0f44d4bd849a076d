using System.Text.Json;
using System.Text.RegularExpressions;
using AgentGrains.Grains.Showcase;
using AgentGrains.GrainInterfaces.Specialists;
using Microsoft.Extensions.AI;
using static AgentGrains.Tests.Grains.Showcase.ShowcaseMessages;

namespace AgentGrains.Tests.Grains.Showcase;

/// <summary>The offline questioner and answerer, alone and playing whole games against each other as the runtime would relay them.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed partial class TwentyQuestionsModelsTests
{
    public static TheoryData<string> AnimalNames => [.. Animals.All.Select(static a => a.Name)];

    [Fact]
    public void Animals_Table_TwelveToSixteenCandidatesEachWithItsOwnAnswers()
    {
        Assert.InRange(Animals.All.Count, 12, 16);
        Assert.All(Animals.All, a => Assert.Equal(Animals.Questions.Count, a.Answers.Length));
        Assert.Equal(Animals.All.Count, Animals.All.Select(static a => string.Concat(a.Answers.Select(static b => b ? '1' : '0'))).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(AnimalNames))]
    public async Task Play_SecretNamed_QuestionerFindsItWithinTwentyQuestions(string secret)
    {
        var (reply, questions) = await PlayAsync([], $"play with secret: {secret}");

        var match = FoundIt().Match(reply);
        Assert.True(match.Success, reply);
        Assert.Equal(secret, match.Groups["name"].Value);
        Assert.Equal(questions.Count, int.Parse(match.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(questions.Count, 1, 20);
        Assert.Equal($"Is it {(secret[0] is 'a' or 'e' or 'i' or 'o' or 'u' ? "an" : "a")} {secret}?", questions[^1]);
        Assert.Equal(questions.Count, questions.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task Play_NoSecretNamed_SecretComesFromAStableHashOfTheOpening()
    {
        // FNV-1a of the text, so the same opening plays the same game in every process (string.GetHashCode would not).
        var expected = Animals.SecretFor("let's play");
        Assert.Equal("goldfish", expected.Name);

        var (reply, _) = await PlayAsync([], "let's play");

        Assert.EndsWith(": goldfish.", reply, StringComparison.Ordinal);
        Assert.NotEqual(Animals.SecretFor("let's play").Name, Animals.SecretFor("another game please").Name);
    }

    [Fact]
    public async Task Play_SecondGameInTheSameAnswererConversation_UsesTheNewGamesSecret()
    {
        List<ChatMessage> answerer = [];

        var (first, _) = await PlayAsync(answerer, "play with secret: owl");
        var (second, _) = await PlayAsync(answerer, "play with secret: shark");

        Assert.EndsWith(": owl.", first, StringComparison.Ordinal);
        Assert.EndsWith(": shark.", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Questioner_FirstQuestion_CarriesTheOpeningLineThenTheBestSplittingQuestion()
    {
        var reply = await new QuestionerModel().ReplyAsync([Instructions(), User("play with secret: penguin")]);

        var call = Assert.Single(reply.Calls());
        Assert.Equal("answerer", call.Name);
        Assert.Equal("New game: play with secret: penguin\nIs it a mammal?", call.Argument("question"));
    }

    [Theory]
    [InlineData("Is it a mammal?", "yes", "no")]
    [InlineData("Can it fly?", "no", "yes")]
    [InlineData("Does it live in the sea or ocean?", "no", "no")]
    [InlineData("Is it an owl?", "no", "correct")]
    [InlineData("is it a dog", "correct", "no")]
    public async Task Answerer_Question_AnswersFromTheSecretsRow(string question, string forDog, string forOwl)
    {
        Assert.Equal(forDog, await AnswerAsync("dog", question));
        Assert.Equal(forOwl, await AnswerAsync("owl", question));
    }

    [Fact]
    public async Task Answerer_QuestionOutsideTheTable_RepliesWithTheQuestionsItKnows()
    {
        var answer = await AnswerAsync("dog", "Is it purple?");

        Assert.StartsWith("I can only answer these questions: Is it a mammal?", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Questioner_AnswererFailed_StopsAndSaysWhy()
    {
        var model = new QuestionerModel();
        List<ChatMessage> messages = [Instructions(), User("play")];
        messages.Add(await model.ReplyAsync(messages));
        messages.Add(Results(("call_1", "error: TimedOut: specialist 'answerer' did not finish.")));

        var reply = await model.ReplyAsync(messages);

        Assert.Equal("Stopped after 1 question: the answerer failed (TimedOut: specialist 'answerer' did not finish.).", reply.Text);
    }

    [Fact]
    public async Task Questioner_TwentyQuestionsWithoutCorrect_GivesUp()
    {
        List<ChatMessage> messages = [Instructions(), User("play")];
        for (var i = 0; i < 20; i++)
        {
            var guess = Animals.All[i % Animals.All.Count].Guess;
            messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"c{i}", "answerer", new Dictionary<string, object?> { ["question"] = guess })]));
            messages.Add(Results(($"c{i}", "no")));
        }

        var reply = await new QuestionerModel().ReplyAsync(messages);

        Assert.Empty(reply.Calls());
        Assert.Equal("Gave up after 20 questions.", reply.Text);
    }

    [Fact]
    public void Contract_Answerer_KeepsOneConversationPerGameAndSeesAWholeGame()
    {
        Assert.True(ShowcaseAgents.Answerer.Contract!.KeepsConversation);
        Assert.True(ShowcaseAgents.Answerer.HistoryWindow >= 2 * TwentyQuestions.MaxQuestions);
        Assert.True(ShowcaseAgents.TwentyQuestionsAgent.MaxSteps > TwentyQuestions.MaxQuestions);
    }

    private static async Task<string> AnswerAsync(string secret, string question) =>
        (await new AnswererModel().ReplyAsync([Instructions(), Request(new AnswerRequest(TwentyQuestions.Opening($"secret: {secret}", question)))])).Text;

    /// <summary>Plays one game as the runtime relays it: each questioner call becomes a run of the answerer in its kept conversation.</summary>
    private static async Task<(string Reply, List<string> Questions)> PlayAsync(List<ChatMessage> answerer, string opening)
    {
        var questioner = new QuestionerModel();
        var answererModel = new AnswererModel();
        List<ChatMessage> messages = [Instructions(), User(opening)];
        var questions = new List<string>();
        for (var step = 0; step < ShowcaseAgents.TwentyQuestionsAgent.MaxSteps; step++)
        {
            var reply = await questioner.ReplyAsync(messages);
            messages.Add(reply);
            if (reply.Calls() is not [var call])
            {
                Assert.Empty(reply.Calls());
                return (reply.Text, questions);
            }

            var request = JsonSerializer.Serialize(new AnswerRequest(call.Argument("question")!), AIJsonUtilities.DefaultOptions);
            answerer.Add(User(request));
            var answer = await answererModel.ReplyAsync([Instructions(), .. answerer]);
            answerer.Add(answer);
            questions.Add(TwentyQuestions.QuestionOf(call.Argument("question")!));
            messages.Add(Results((call.CallId, answer.Text)));
        }

        Assert.Fail($"The questioner did not finish within {ShowcaseAgents.TwentyQuestionsAgent.MaxSteps} steps.");
        return default;
    }

    [GeneratedRegex(@"^Found it in (?<n>\d+) questions?: (?<name>[a-z]+)\.$")]
    private static partial Regex FoundIt();
}
