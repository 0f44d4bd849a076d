using AgentGrains.Grains.Agents;
using AgentGrains.Grains.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentGrains.Tests.Grains.Models;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ModelOptionsTests
{
    private readonly ModelOptionsValidator validator = new();

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(validator.Validate(null, new ModelOptions()).Succeeded);
    }

    [Fact]
    public void Validate_EmbeddingModel_NeedsTheOpenAIProviderAndAName()
    {
        var scripted = validator.Validate(null, new ModelOptions { EmbeddingModel = "text-embedding-3-small" });
        Assert.StartsWith("Model:EmbeddingModel is set but Model:Provider is not OpenAI", Assert.Single(scripted.Failures!), StringComparison.Ordinal);
        var blank = validator.Validate(null, new ModelOptions { Provider = ModelProvider.OpenAI, Name = "m", ApiKey = "k", EmbeddingModel = " " });
        Assert.StartsWith("Model:EmbeddingModel is empty", Assert.Single(blank.Failures!), StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new ModelOptions { Provider = ModelProvider.OpenAI, Name = "m", ApiKey = "k", EmbeddingModel = "text-embedding-3-small" }).Succeeded);
    }

    [Fact]
    public void Validate_OpenAIWithoutNameOrKey_FailsNamingEachSettingAndTheFix()
    {
        var result = validator.Validate(null, new ModelOptions { Provider = ModelProvider.OpenAI });

        Assert.True(result.Failed);
        Assert.Collection(
            result.Failures!,
            f => Assert.Equal("Model:Name is empty but Model:Provider is OpenAI; set it to the model id, e.g. gpt-4o-mini.", f),
            f =>
            {
                Assert.StartsWith("Model:ApiKey is empty but Model:Provider is OpenAI; set Model:ApiKey or the OPENAI_API_KEY environment variable", f, StringComparison.Ordinal);
                Assert.Contains("Model:BaseUrl", f, StringComparison.Ordinal);
            });
    }

    [Fact]
    public void Validate_OpenAICompatibleServerWithoutKey_Succeeds()
    {
        var options = new ModelOptions { Provider = ModelProvider.OpenAI, Name = "llama3.1", BaseUrl = new Uri("http://localhost:11434/v1") };

        Assert.True(validator.Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_BadTimingsRetriesAndPrices_CollectsEveryFailure()
    {
        var options = new ModelOptions
        {
            BaseUrl = new Uri("ftp://example.com/v1"),
            RequestTimeout = TimeSpan.Zero,
            MaxRetries = -1,
            RetryBaseDelay = TimeSpan.FromSeconds(5),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
        };
        options.Prices["gpt-x"] = new ModelPrice { InputPerMillionTokens = -1 };

        var failures = validator.Validate(null, options).Failures!.ToList();

        Assert.Equal(5, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Model:BaseUrl", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Model:RequestTimeout", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Model:MaxRetries", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Model:MaxRetryDelay", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Model:Prices:gpt-x", StringComparison.Ordinal));
        Assert.All(failures, f => Assert.Contains("set", f, StringComparison.Ordinal));
    }

    [Fact]
    public void CheckModelTimeout_DefaultsAgainstTheDefaultAgent_RoomForARetryAfterAHungAttempt()
    {
        var defaults = new ModelOptions();
        var agent = new AgentDefinition("defaults", string.Empty, []);

        Assert.Null(ModelOptionsValidator.CheckModelTimeout(defaults, agent.Name, agent.ModelTimeout));
        Assert.True(agent.StallTimeout > agent.ModelTimeout, "the default watchdog would abandon a model call its ModelTimeout still allows");
        Assert.True(agent.WatchdogPeriod < agent.StallTimeout - agent.ModelTimeout, "the default watchdog notices a stall later than the margin between StallTimeout and ModelTimeout");
    }

    [Fact]
    public void CheckModelTimeout_ExactlyTwoAttemptsAndTheLongestWait_Fits()
    {
        Assert.Null(ModelOptionsValidator.CheckModelTimeout(new ModelOptions(), "edge", TimeSpan.FromSeconds(140)));
    }

    [Fact]
    public void CheckModelTimeout_NoRetriesAndOneAttemptAsLongAsTheCall_NamesBothSettingsAndTheFix()
    {
        var options = new ModelOptions { MaxRetries = 0, RequestTimeout = TimeSpan.FromSeconds(30) };

        Assert.Null(ModelOptionsValidator.CheckModelTimeout(options, "once", TimeSpan.FromSeconds(31)));
        Assert.Equal(
            "agent 'once' has a ModelTimeout of 00:00:30, no longer than one attempt (Model:RequestTimeout 00:00:30); set the agent's ModelTimeout above Model:RequestTimeout, or lower Model:RequestTimeout below 00:00:30",
            ModelOptionsValidator.CheckModelTimeout(options, "once", TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void CheckModelTimeout_RetryWaitLongerThanTheCall_SaysToLowerBothModelSettings()
    {
        var options = new ModelOptions { RequestTimeout = TimeSpan.FromSeconds(10), MaxRetryDelay = TimeSpan.FromSeconds(60) };

        var problem = ModelOptionsValidator.CheckModelTimeout(options, "waiter", TimeSpan.FromSeconds(30));

        Assert.Equal(
            "agent 'waiter' has a ModelTimeout of 00:00:30, too short to retry a model request that hangs: one attempt (Model:RequestTimeout 00:00:10), the longest wait before a retry (Model:MaxRetryDelay 00:01:00) and a second attempt take 00:01:20; "
            + "set the agent's ModelTimeout to 00:01:20 or more, or lower Model:RequestTimeout and Model:MaxRetryDelay so that twice the one plus the other is at most the ModelTimeout",
            problem);
    }

    [Fact]
    public void CostOf_PricedModel_DollarsForTheTokens()
    {
        var options = new ModelOptions();
        options.Prices["gpt-4o-mini"] = new ModelPrice { InputPerMillionTokens = 0.15m, OutputPerMillionTokens = 0.60m };

        Assert.Equal(0.00045m, options.CostOf("GPT-4o-mini", inputTokens: 1_000, outputTokens: 500));
        Assert.Null(options.CostOf("gpt-4o", 1_000, 500));
    }

    [Fact]
    public void AddAgentModel_Configuration_BindsPricesAndFallsBackToOpenAIKey()
    {
        using var provider = Services(new Dictionary<string, string?>
        {
            ["Model:Provider"] = "OpenAI",
            ["Model:Name"] = "gpt-4o-mini",
            ["Model:MaxRetries"] = "2",
            ["Model:Prices:gpt-4o-mini:InputPerMillionTokens"] = "0.15",
            ["Model:Prices:gpt-4o-mini:OutputPerMillionTokens"] = "0.6",
            ["OPENAI_API_KEY"] = "sk-from-environment",
        });

        var options = provider.GetRequiredService<IOptions<ModelOptions>>().Value;

        Assert.Equal((ModelProvider.OpenAI, "gpt-4o-mini", 2, "sk-from-environment"), (options.Provider, options.Name, options.MaxRetries, options.ApiKey));
        Assert.Equal(0.75m, options.CostOf("gpt-4o-mini", 1_000_000, 1_000_000));
        Assert.IsType<OpenAIChatClient>(provider.GetRequiredService<IChatClient>());
    }

    [Fact]
    public void AddAgentModel_NoConfiguration_ScriptedModel()
    {
        using var provider = Services(new Dictionary<string, string?>());

        Assert.IsType<ScriptedChatClient>(provider.GetRequiredService<IChatClient>());
    }

    [Fact]
    public void AddAgentModel_ModelRegisteredFirst_ApplicationModelWins()
    {
        using var own = new ScriptedChatClient();
        using var provider = Services(new Dictionary<string, string?> { ["Model:Provider"] = "OpenAI", ["Model:Name"] = "gpt-4o-mini", ["Model:ApiKey"] = "sk" }, own);

        Assert.Same(own, provider.GetRequiredService<IChatClient>());
    }

    [Fact]
    public void AddAgentModel_OpenAIWithoutName_OptionsValidationFailsWithTheFix()
    {
        using var provider = Services(new Dictionary<string, string?> { ["Model:Provider"] = "OpenAI", ["Model:ApiKey"] = "sk" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ModelOptions>>().Value);

        Assert.Contains("Model:Name is empty but Model:Provider is OpenAI", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings, IChatClient? model = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        if (model is not null)
        {
            services.AddSingleton(model);
        }

        services.AddAgentModel();
        return services.BuildServiceProvider();
    }
}
