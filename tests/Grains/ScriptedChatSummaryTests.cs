using AgentGrains.Grains.Models;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains;

/// <summary>The offline model's summarizer: deterministic, the user's statements kept, bounded; and questions answered from the summary it is sent.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ScriptedChatSummaryTests : IDisposable
{
    private readonly ScriptedChatClient model = new();

    [Fact]
    public async Task GetResponseAsync_SummaryRequest_KeepsThePreviousSummaryAndTheUsersStatements()
    {
        var request = SummaryRequest.Messages(
            "My name is Ada.",
            [("user", "I live in Paris. What time is it?"), ("assistant", "Got it: you live in Paris."), ("user", "what is my name?"), ("user", "my name is Ada")],
            200);

        var response = await model.GetResponseAsync(request, SummaryRequest.Options("scripted", 200), TestContext.Current.CancellationToken);

        Assert.Equal("I live in Paris. my name is Ada.", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task GetResponseAsync_SummaryLongerThanTheLimit_DropsTheOldestStatements()
    {
        var request = SummaryRequest.Messages(null, [.. Enumerable.Range(1, 40).Select(static i => ("user", $"Fact number {i} is true."))], 100);

        var first = (await model.GetResponseAsync(request, SummaryRequest.Options("scripted", 100), TestContext.Current.CancellationToken)).Text;
        var second = (await model.GetResponseAsync(request, SummaryRequest.Options("scripted", 100), TestContext.Current.CancellationToken)).Text;

        Assert.InRange(first.Length, 1, 100);
        Assert.EndsWith("Fact number 40 is true.", first, StringComparison.Ordinal);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task GetResponseAsync_QuestionAnsweredOnlyByTheSummary_AnswersFromIt()
    {
        ChatMessage[] conversation =
        [
            new(ChatRole.System, "Be brief."),
            SummaryRequest.Carrier("My name is Ada. I live in Paris."),
            new(ChatRole.User, "hello"),
            new(ChatRole.Assistant, "You said: hello"),
            new(ChatRole.User, "What is my name?"),
        ];

        var response = await model.GetResponseAsync(conversation, null, TestContext.Current.CancellationToken);

        Assert.Equal("Your name is Ada.", response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_FactRestatedInTheWindow_WindowWinsOverTheSummary()
    {
        ChatMessage[] conversation =
        [
            new(ChatRole.System, "Be brief."),
            SummaryRequest.Carrier("My name is Ada."),
            new(ChatRole.User, "my name is Grace"),
            new(ChatRole.User, "What is my name?"),
        ];

        var response = await model.GetResponseAsync(conversation, null, TestContext.Current.CancellationToken);

        Assert.Equal("Your name is Grace.", response.Text);
    }

    public void Dispose() => model.Dispose();
}
