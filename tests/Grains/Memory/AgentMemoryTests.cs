using AgentGrains.Grains.Memory;
using AgentGrains.Grains.Tools;
using AgentGrains.Storage;
using AgentGrains.Storage.Memory;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Grains.Memory;

/// <summary>Remembering and recalling over the embedded SQLite store: keyed writes, the tools' errors, and hybrid ranking with an embedding generator.</summary>
public sealed class AgentMemoryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory directory = new();
    private ServiceProvider? services;

    private IMemoryStore Store => services!.GetRequiredService<IMemoryStore>();

    public ValueTask InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Sqlite",
            ["Storage:Path"] = directory.File("memory.db"),
            ["Storage:FlushEachCommit"] = "false",
        }).Build();
        services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddMemoryStore().BuildServiceProvider();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (services is not null)
        {
            await services.DisposeAsync();
        }

        directory.Dispose();
    }

    [Fact]
    public async Task Remember_SameCallTwice_StoresOneFact()
    {
        var tools = new MemoryTools(Memory());
        var call = Context("run-1", step: 2, userId: "ada");

        Assert.Equal("remembered: My name is Ada.", await tools.RememberAsync(call, "My name is Ada.", CancellationToken.None));
        // The call invoked again after a crash, with the same key: nothing new is stored.
        Assert.Equal("remembered: My name is Ada.", await tools.RememberAsync(Context("run-1", step: 2, userId: "ada"), "My name is Ada.", CancellationToken.None));
        await tools.RememberAsync(Context("run-1", step: 3, userId: "ada"), "My favourite food is pizza.", CancellationToken.None);

        var facts = await Store.ListAsync("ada", 0, 10, CancellationToken.None);
        Assert.Equal(["My favourite food is pizza.", "My name is Ada."], facts.Select(static f => f.Text));
        Assert.Equal(("s1", "run-1", 2), (facts[1].SessionId, facts[1].RunId, facts[1].Step));
    }

    [Fact]
    public async Task Tools_WithoutAUserOrWithABadFact_FailWithAMessageForTheModel()
    {
        var tools = new MemoryTools(Memory());

        var noUser = await Assert.ThrowsAsync<InvalidOperationException>(() => tools.RememberAsync(Context("run-1", 1, userId: null), "My name is Ada.", CancellationToken.None));
        Assert.Contains("no user", noUser.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => tools.RecallAsync(Context("run-1", 1, userId: null), "name", CancellationToken.None));
        var tooLong = await Assert.ThrowsAsync<ArgumentException>(() => tools.RememberAsync(Context("run-1", 1, "ada"), new string('x', AgentMemory.MaxFactLength + 1), CancellationToken.None));
        Assert.Contains("1 to 500 characters", tooLong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => tools.RememberAsync(Context("run-1", 1, "ada"), "   ", CancellationToken.None));
        Assert.Empty(await Store.ListAsync("ada", 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Recall_ThroughTheTool_ListsTheMatchingFactsOrSaysNoneMatch()
    {
        var tools = new MemoryTools(Memory());
        await tools.RememberAsync(Context("run-1", 1, "ada"), "My name is Ada.", CancellationToken.None);

        Assert.Equal("- My name is Ada. (remembered 2026-12-06)", await tools.RecallAsync(Context("run-2", 1, "ada"), "what is my name", CancellationToken.None));
        Assert.Equal("nothing remembered matches 'pizza'", await tools.RecallAsync(Context("run-2", 1, "ada"), "pizza", CancellationToken.None));
        Assert.Equal("nothing remembered matches 'name'", await tools.RecallAsync(Context("run-2", 1, "grace"), "name", CancellationToken.None));
    }

    [Fact]
    public async Task Recall_WithAnEmbeddingGenerator_FindsAFactThatSharesNoWordWithTheQuestion()
    {
        var words = Memory();
        var hybrid = Memory(new ConceptEmbeddings());
        Assert.False(words.IsHybrid);
        Assert.True(hybrid.IsHybrid);
        await hybrid.RememberAsync(Context("run-1", 1, "ada"), "I live in Lyon.", CancellationToken.None);
        await hybrid.RememberAsync(Context("run-1", 2, "ada"), "My favourite food is pizza.", CancellationToken.None);
        await hybrid.RememberAsync(Context("run-1", 3, "grace"), "I live in Oslo.", CancellationToken.None);

        // "Which city is my home?" shares no word with "I live in Lyon.": words alone miss it.
        Assert.DoesNotContain(await words.RecallAsync("ada", "Which city is home?", 5, CancellationToken.None), static f => f.Text == "I live in Lyon.");
        var found = await hybrid.RecallAsync("ada", "Which city is home?", 5, CancellationToken.None);
        Assert.Equal("I live in Lyon.", found[0].Text);
        Assert.DoesNotContain(found, static f => f.UserId != "ada");

        // A fact matched by words and by meaning ranks above one matched by words only.
        var both = await hybrid.RecallAsync("ada", "my favourite food", 1, CancellationToken.None);
        Assert.Equal("My favourite food is pizza.", Assert.Single(both).Text);
    }

    [Fact]
    public async Task Recall_WithModelEmbeddingModelSet_EmbedsThroughTheOpenAICompatibleApi()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        server.Embeddings = ConceptEmbeddings.Vector;
        var options = new AgentGrains.Grains.Models.ModelOptions
        {
            Provider = AgentGrains.Grains.Models.ModelProvider.OpenAI,
            Name = "test-model",
            BaseUrl = server.BaseUrl,
            ApiKey = "test",
            EmbeddingModel = "test-embeddings",
        };
        Assert.Null(AgentGrains.Grains.Models.OpenAIChatClient.CreateEmbeddingGenerator(new AgentGrains.Grains.Models.ModelOptions { EmbeddingModel = "test-embeddings" }));
        using var generator = AgentGrains.Grains.Models.OpenAIChatClient.CreateEmbeddingGenerator(options);
        var memory = Memory(generator);

        await memory.RememberAsync(Context("run-1", 1, "ada"), "I live in Lyon.", CancellationToken.None);
        var found = await memory.RecallAsync("ada", "Which city is home?", 5, CancellationToken.None);

        Assert.Equal("I live in Lyon.", Assert.Single(found).Text);
        Assert.Equal(["I live in Lyon.", "Which city is home?"], server.EmbeddedTexts);
        Assert.Equal(ConceptEmbeddings.Vector("I live in Lyon."), Assert.Single(await Store.ReadEmbeddedAsync("ada", 10, CancellationToken.None)).Embedding);
    }

    [Fact]
    public async Task Remember_WhenTheEmbeddingFails_StoresTheFactFoundByWords()
    {
        var memory = Memory(new ConceptEmbeddings { Fail = true });

        await memory.RememberAsync(Context("run-1", 1, "ada"), "My name is Ada.", CancellationToken.None);

        Assert.Empty(await Store.ReadEmbeddedAsync("ada", 10, CancellationToken.None));
        Assert.Equal("My name is Ada.", Assert.Single(await memory.RecallAsync("ada", "name", 5, CancellationToken.None)).Text);
    }

    private AgentMemory Memory(IEmbeddingGenerator<string, Embedding<float>>? embeddings = null) =>
        new(Store, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(At), NullLogger<AgentMemory>.Instance, embeddings);

    private static ToolContext Context(string runId, int step, string? userId) =>
        new("s1", runId, step, 0, MemoryTools.RememberName) { UserId = userId };

    /// <summary>Embeds a text as the concepts its words name (place, food, person): texts about the same thing point the same way, whatever their words.</summary>
    private sealed class ConceptEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        private static readonly string[][] Concepts =
        [
            ["live", "lyon", "oslo", "city", "home", "town"],
            ["food", "pizza", "eat", "dinner"],
            ["name", "called", "ada"],
        ];

        public bool Fail { get; init; }

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            if (Fail)
            {
                throw new HttpRequestException("The embedding service is down.");
            }

            return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(static text => new Embedding<float>(Vector(text)))));
        }

        public static float[] Vector(string text)
        {
            var words = text.ToLowerInvariant().Split([' ', '.', '?', ','], StringSplitOptions.RemoveEmptyEntries);
            return [.. Concepts.Select(c => (float)words.Count(c.Contains))];
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
