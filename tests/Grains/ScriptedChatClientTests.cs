using AgentGrains.Grains.Models;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ScriptedChatClientTests : IDisposable
{
    private static readonly ChatOptions WithTools = new()
    {
        Tools = [CalculatorTool.Create().Function, ClockTool.Create(TimeProvider.System).Function],
    };

    private readonly ScriptedChatClient model = new();

    [Theory]
    [InlineData("what is 6*7?", "6*7")]
    [InlineData("compute (2+3)*4", "(2+3)*4")]
    [InlineData("What is -3 + 5.5?", "-3 + 5.5")]
    [InlineData("please work out 2+*3 for me", "2+*3")]
    public async Task GetResponseAsync_Arithmetic_CallsCalculatorWithTheExpression(string text, string expression)
    {
        var response = await model.GetResponseAsync([User(text)], WithTools, TestContext.Current.CancellationToken);

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(Assert.Single(response.Messages).Contents));
        Assert.Equal("calculator", call.Name);
        Assert.Equal("call_1", call.CallId);
        Assert.Equal(expression, call.Arguments!["expression"]);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Theory]
    [InlineData("what time is it?")]
    [InlineData("What's the date today?")]
    [InlineData("tell me the time please")]
    public async Task GetResponseAsync_TimeQuestion_CallsClock(string text)
    {
        var response = await model.GetResponseAsync([User(text)], WithTools, TestContext.Current.CancellationToken);

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(Assert.Single(response.Messages).Contents));
        Assert.Equal("clock", call.Name);
    }

    [Theory]
    [InlineData("Send a message to ada@example.com: the deploy of 2026-12-06 is done", "ada@example.com", "the deploy of 2026-12-06 is done")]
    [InlineData("please send bob a note saying lunch at 12:30?", "bob", "lunch at 12:30?")]
    [InlineData("message carol, see you at 3+4", "carol", "see you at 3+4")]
    public async Task GetResponseAsync_SendRequest_CallsSendMessageWithRecipientAndText(string text, string to, string message)
    {
        var options = new ChatOptions { Tools = [.. WithTools.Tools!, AIFunctionFactory.Create((string to, string text) => "sent", SendMessageTool.Name)] };

        var response = await model.GetResponseAsync([User(text)], options, TestContext.Current.CancellationToken);

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(Assert.Single(response.Messages).Contents));
        Assert.Equal(SendMessageTool.Name, call.Name);
        Assert.Equal(to, call.Arguments!["to"]);
        Assert.Equal(message, call.Arguments!["text"]);
    }

    [Fact]
    public async Task GetResponseAsync_ToolsNotOffered_AnswersWithoutCallingThem()
    {
        var response = await model.GetResponseAsync([User("what is 6*7?")], new ChatOptions(), TestContext.Current.CancellationToken);

        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.False(string.IsNullOrWhiteSpace(response.Text));
    }

    [Fact]
    public async Task GetResponseAsync_CallsAlreadyInView_NumbersTheNextCallAfterThem()
    {
        List<ChatMessage> messages =
        [
            User("what is 1+1?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "calculator", new Dictionary<string, object?> { ["expression"] = "1+1" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "2")]),
            new(ChatRole.Assistant, "The answer is 2."),
            User("and 2*3?"),
        ];

        var response = await model.GetResponseAsync(messages, WithTools, TestContext.Current.CancellationToken);

        Assert.Equal("call_2", Assert.IsType<FunctionCallContent>(Assert.Single(response.Messages[0].Contents)).CallId);
    }

    [Theory]
    [InlineData("calculator", "42", "The answer is 42.")]
    [InlineData("clock", "2030-04-05T06:09:10Z", "The current time is 2030-04-05 06:09:10 UTC.")]
    [InlineData("calculator", "error: 'calculator' failed: division by zero.", "Sorry, that did not work: 'calculator' failed: division by zero.")]
    [InlineData("weather", "sunny", "The weather tool returned: sunny.")]
    [InlineData("send_message", "sent to ada@example.com", "Your message to ada@example.com was sent.")]
    [InlineData("send_message", "error: the call was not run: denied by a person.", "Sorry, that did not work: the call was not run: denied by a person.")]
    public async Task GetResponseAsync_LastMessageIsToolResult_AnswersFromIt(string tool, string result, string expected)
    {
        List<ChatMessage> messages =
        [
            User("question"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_7", tool, new Dictionary<string, object?>())]),
            new(ChatRole.Tool, [new FunctionResultContent("call_7", result)]),
        ];

        var response = await model.GetResponseAsync(messages, WithTools, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Theory]
    [InlineData("my name is Ada", "Got it: your name is Ada.")]
    [InlineData("Remember that the door code is 1234.", "Got it: the door code is 1234.")]
    [InlineData("The sky is blue", "Got it: the sky is blue.")]
    [InlineData("Actually, my favourite colours are green and gold!", "Got it: your favourite colours are green and gold.")]
    public async Task GetResponseAsync_Statement_Acknowledges(string text, string expected)
    {
        var response = await model.GetResponseAsync([User(text)], WithTools, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.Text);
    }

    [Theory]
    [InlineData("what is my name?", "Your name is Ada.")]
    [InlineData("What's the door code?", "The door code is 1234.")]
    [InlineData("do you remember my name", "Your name is Ada.")]
    [InlineData("what is my favourite colour?", "I don't know what your favourite colour is.")]
    public async Task GetResponseAsync_QuestionAboutEarlierStatement_AnswersFromTheHistory(string question, string expected)
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "instructions"),
            User("my name is Grace"),
            new(ChatRole.Assistant, "Got it: your name is Grace."),
            User("remember that the door code is 1234"),
            new(ChatRole.Assistant, "Got it: the door code is 1234."),
            User("Actually, my name is Ada."),
            User(question),
        ];

        var response = await model.GetResponseAsync(messages, WithTools, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_StatementOutsideTheMessagesGiven_IsNotKnown()
    {
        var response = await model.GetResponseAsync([User("what is my name?")], WithTools, TestContext.Current.CancellationToken);

        Assert.Equal("I don't know what your name is.", response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_AnythingElse_Echoes()
    {
        var response = await model.GetResponseAsync([User("hello there")], WithTools, TestContext.Current.CancellationToken);

        Assert.Equal("You said: hello there", response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_SameConversation_SameResponseAndWordCountUsage()
    {
        List<ChatMessage> messages = [new(ChatRole.System, "be brief"), User("hello there")];

        var first = await model.GetResponseAsync(messages, WithTools, TestContext.Current.CancellationToken);
        var second = await model.GetResponseAsync(messages, WithTools, TestContext.Current.CancellationToken);

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(4, first.Usage!.InputTokenCount);
        Assert.Equal(4, first.Usage.OutputTokenCount);
        Assert.Equal(8, first.Usage.TotalTokenCount);
        Assert.Equal(first.Usage.InputTokenCount, second.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_AnyRequest_YieldsTheWholeResponseAsOneUpdate()
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in model.GetStreamingResponseAsync([User("what is 6*7?")], WithTools, TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }

        var single = Assert.Single(updates);
        Assert.Equal("calculator", Assert.Single(single.Contents.OfType<FunctionCallContent>()).Name);
        Assert.Single(single.Contents.OfType<UsageContent>());
    }

    [Fact]
    public void GetService_Metadata_DescribesTheScriptedModel()
    {
        var metadata = model.GetService<ChatClientMetadata>();

        Assert.Equal(ScriptedChatClient.ModelId, metadata?.DefaultModelId);
        Assert.Same(model, model.GetService<IChatClient>());
        Assert.Null(model.GetService<IChatClient>("keyed"));
    }

    public void Dispose() => model.Dispose();

    private static ChatMessage User(string text) => new(ChatRole.User, text);
}
