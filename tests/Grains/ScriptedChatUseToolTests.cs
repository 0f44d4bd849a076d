using System.Text.Json;
using AgentGrains.Grains.Models;
using AgentGrains.Grains.Tools;
using Microsoft.Extensions.AI;

namespace AgentGrains.Tests.Grains;

/// <summary>The scripted model's explicit tool call, "use &lt;tool&gt; {json}", which drives any offered tool (an MCP server's too) offline.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ScriptedChatUseToolTests : IDisposable
{
    private static readonly ChatOptions WithTools = new()
    {
        Tools =
        [
            CalculatorTool.Create().Function,
            AIFunctionFactory.Create((string path) => path, "mcp__files__list_directory"),
            AIFunctionFactory.Create((string path) => path, "mcp__files__read_text_file"),
            AIFunctionFactory.Create((string path) => path, "mcp__backup__read_text_file"),
        ],
    };

    private readonly ScriptedChatClient model = new();

    [Theory]
    [InlineData("""use list_directory {"path": "shared"}""")]
    [InlineData("""use mcp__files__list_directory {"path": "shared"}""")]
    [InlineData("""use files/list_directory {"path": "shared"}""")]
    [InlineData("""Use mcp:files/list_directory   {"path": "shared"}  """)]
    public async Task GetResponseAsync_UseWithAnOfferedToolsName_CallsItWithTheJsonArguments(string text)
    {
        var response = await model.GetResponseAsync([User(text)], WithTools, TestContext.Current.CancellationToken);

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(Assert.Single(response.Messages).Contents));
        Assert.Equal("mcp__files__list_directory", call.Name);
        Assert.Equal("call_1", call.CallId);
        var path = Assert.IsType<JsonElement>(Assert.Single(call.Arguments!, static a => a.Key == "path").Value);
        Assert.Equal("shared", path.GetString());
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Fact]
    public async Task GetResponseAsync_UseWithoutArguments_CallsTheToolWithNone()
    {
        var response = await model.GetResponseAsync([User("use calculator")], WithTools, TestContext.Current.CancellationToken);

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(Assert.Single(response.Messages).Contents));
        Assert.Equal(CalculatorTool.Name, call.Name);
        Assert.Empty(call.Arguments!);
    }

    [Fact]
    public async Task GetResponseAsync_UseWithNumbersInTheArguments_CallsTheToolRatherThanTheCalculator()
    {
        var response = await model.GetResponseAsync([User("""use list_directory {"path": "logs/2026-12-06"}""")], WithTools, TestContext.Current.CancellationToken);

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(Assert.Single(response.Messages).Contents));
        Assert.Equal("mcp__files__list_directory", call.Name);
        Assert.Equal("logs/2026-12-06", ((JsonElement)call.Arguments!["path"]!).GetString());
    }

    [Fact]
    public async Task GetResponseAsync_UseOfAToolNotOffered_NamesTheToolsItCanUse()
    {
        var response = await model.GetResponseAsync([User("""use write_file {"path": "a"}""")], WithTools, TestContext.Current.CancellationToken);

        Assert.Empty(response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(
            "I have no tool 'write_file' to use. The tools I can use: calculator, mcp__backup__read_text_file, mcp__files__list_directory, mcp__files__read_text_file.",
            response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_UseWhenNoToolIsOffered_SaysSo()
    {
        var response = await model.GetResponseAsync([User("use list_directory")], new ChatOptions(), TestContext.Current.CancellationToken);

        Assert.Equal("I have no tool 'list_directory' to use. The tools I can use: none.", response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_UseOfANameTwoServersHave_AsksWhichOne()
    {
        var response = await model.GetResponseAsync([User("""use read_text_file {"path": "a"}""")], WithTools, TestContext.Current.CancellationToken);

        Assert.Empty(response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("'read_text_file' could be mcp__backup__read_text_file or mcp__files__read_text_file; say which.", response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_UseWithMalformedJson_SaysTheArgumentsAreNotAnObject()
    {
        var response = await model.GetResponseAsync([User("""use list_directory {"path": }""")], WithTools, TestContext.Current.CancellationToken);

        Assert.Empty(response.Messages.SelectMany(static m => m.Contents).OfType<FunctionCallContent>());
        Assert.StartsWith("The arguments of list_directory are not a JSON object: ", response.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mcp__files__read_text_file", "The deploy is on Friday.\n", "The files/read_text_file tool returned:\nThe deploy is on Friday.")]
    [InlineData("mcp__files__list_directory", "[FILE] a.txt\n[DIR] docs", "The files/list_directory tool returned:\n[FILE] a.txt\n[DIR] docs")]
    [InlineData("weather", "sunny\nwindy\n", "The weather tool returned:\nsunny\nwindy")]
    [InlineData("weather", "sunny", "The weather tool returned: sunny.")]
    public async Task GetResponseAsync_AfterAToolsResult_NamesAnMcpToolAsConfiguredAndShowsItsTextAsItIs(string tool, string result, string expected)
    {
        List<ChatMessage> messages =
        [
            User($"use {tool}"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", tool, new Dictionary<string, object?>())]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", result)]),
        ];

        var response = await model.GetResponseAsync(messages, WithTools, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    public void Dispose() => model.Dispose();

    private static ChatMessage User(string text) => new(ChatRole.User, text);
}
