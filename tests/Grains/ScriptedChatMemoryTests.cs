using AgentGrains.Grains.Memory;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains;

/// <summary>The offline model and long-term memory: when it calls <c>remember</c> and <c>recall</c>, and how it answers from what memory gives it.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ScriptedChatMemoryTests : IDisposable
{
    private static readonly AIFunction Remember = AIFunctionFactory.Create(static (string fact) => "remembered", MemoryTools.RememberName);

    private static readonly AIFunction Recall = AIFunctionFactory.Create(static (string query) => "recalled", MemoryTools.RecallName);

    // What a session with a user offers the built-in assistant.
    private static readonly ChatOptions WithMemory = new()
    {
        Tools = [CalculatorTool.Create().Function, ClockTool.Create(TimeProvider.System).Function, Remember, Recall],
    };

    // What a session without a user offers it.
    private static readonly ChatOptions WithoutMemory = new()
    {
        Tools = [CalculatorTool.Create().Function, ClockTool.Create(TimeProvider.System).Function],
    };

    private readonly ScriptedChatClient model = new();

    [Theory]
    [InlineData("My name is Ada.", "My name is Ada.")]
    [InlineData("my name is Ada", "My name is Ada.")]
    [InlineData("Remember that the door code is 1234.", "The door code is 1234.")]
    [InlineData("Actually, my favourite colours are green and gold!", "My favourite colours are green and gold.")]
    public async Task GetResponseAsync_StatementToKeep_RememberOffered_CallsRememberWithTheFact(string text, string fact)
    {
        var response = await model.GetResponseAsync([User(text)], WithMemory, TestContext.Current.CancellationToken);

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(Assert.Single(response.Messages).Contents));
        Assert.Equal(MemoryTools.RememberName, call.Name);
        Assert.Equal("call_1", call.CallId);
        Assert.Equal(fact, call.Arguments!["fact"]);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Theory]
    [InlineData("My name is Ada.", "Got it: your name is Ada.")]
    [InlineData("Remember that the door code is 1234.", "Got it: the door code is 1234.")]
    public async Task GetResponseAsync_StatementToKeep_RememberNotOffered_Acknowledges(string text, string expected)
    {
        var response = await model.GetResponseAsync([User(text)], WithoutMemory, TestContext.Current.CancellationToken);

        Assert.Empty(response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Theory]
    [InlineData("The sky is blue.", "Got it: the sky is blue.")]
    [InlineData("Your answer was wrong.", "Got it: my answer was wrong.")]
    public async Task GetResponseAsync_StatementNotAboutTheUser_RememberOffered_AcknowledgesWithoutRemembering(string text, string expected)
    {
        var response = await model.GetResponseAsync([User(text)], WithMemory, TestContext.Current.CancellationToken);

        Assert.Empty(response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(expected, response.Text);
    }

    [Theory]
    [InlineData("My name is Ada.", "remembered: My name is Ada.", "Got it: your name is Ada. I'll remember that.")]
    [InlineData("Remember that the door code is 1234.", "remembered: The door code is 1234.", "Got it: the door code is 1234. I'll remember that.")]
    [InlineData("My name is Ada.", "error: 'remember' failed: this session has no user.", "Sorry, that did not work: 'remember' failed: this session has no user.")]
    public async Task GetResponseAsync_AfterRememberResult_SaysWhatItRemembered(string text, string result, string expected)
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "instructions"),
            User(text),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", MemoryTools.RememberName, new Dictionary<string, object?> { ["fact"] = "whatever" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", result)]),
        ];

        var response = await model.GetResponseAsync(messages, WithMemory, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Theory]
    [InlineData("What is my name?", "Your name is Ada.")]
    [InlineData("do you remember my name", "Your name is Ada.")]
    [InlineData("What's the door code?", "The door code is 1234.")]
    public async Task GetResponseAsync_QuestionAnsweredByTheMemoryMessage_AnswersWithoutRecall(string question, string expected)
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "instructions"),
            MemoryContext.Carrier(["My name is Ada.", "The door code is 1234."]),
            User(question),
        ];

        var response = await model.GetResponseAsync(messages, WithMemory, TestContext.Current.CancellationToken);

        Assert.Empty(response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(expected, response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_StatementInTheConversation_WinsOverTheMemoryMessage()
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "instructions"),
            MemoryContext.Carrier(["My name is Ada."]),
            User("Actually, my name is Grace."),
            new(ChatRole.Assistant, "Got it: your name is Grace."),
            User("What is my name?"),
        ];

        var response = await model.GetResponseAsync(messages, WithMemory, TestContext.Current.CancellationToken);

        Assert.Equal("Your name is Grace.", response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_QuestionNothingAnswers_RecallOffered_CallsRecallWithTheSubject()
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "instructions"),
            MemoryContext.Carrier(["The door code is 1234."]),
            User("What is my name?"),
        ];

        var response = await model.GetResponseAsync(messages, WithMemory, TestContext.Current.CancellationToken);

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(Assert.Single(response.Messages).Contents));
        Assert.Equal(MemoryTools.RecallName, call.Name);
        Assert.Equal("call_1", call.CallId);
        Assert.Equal("my name", call.Arguments!["query"]);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Theory]
    [InlineData("- My name is Ada. (remembered 2026-12-06)", "Your name is Ada.")]
    [InlineData("- The door code is 1234. (remembered 2026-12-05)\n- My name is Ada. (remembered 2026-12-06)", "Your name is Ada.")]
    [InlineData("nothing remembered matches 'my name'", "I don't know what your name is.")]
    [InlineData("- The door code is 1234. (remembered 2026-12-05)", "I don't know what your name is.")]
    public async Task GetResponseAsync_AfterRecallResult_AnswersTheQuestionFromIt(string result, string expected)
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "instructions"),
            User("What is my name?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", MemoryTools.RecallName, new Dictionary<string, object?> { ["query"] = "my name" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", result)]),
        ];

        var response = await model.GetResponseAsync(messages, WithMemory, TestContext.Current.CancellationToken);

        Assert.Empty(response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task GetResponseAsync_QuestionNothingAnswers_RecallNotOffered_SaysItDoesNotKnow()
    {
        var response = await model.GetResponseAsync([new(ChatRole.System, "instructions"), User("What is my name?")], WithoutMemory, TestContext.Current.CancellationToken);

        Assert.Empty(response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("I don't know what your name is.", response.Text);
    }

    public void Dispose() => model.Dispose();

    private static ChatMessage User(string text) => new(ChatRole.User, text);
}
