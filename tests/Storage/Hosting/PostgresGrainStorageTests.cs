using System.Text.Json;
using AgentGrains.Storage.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Storage.Hosting;

/// <summary>Grain state through <c>[PersistentState]</c> on Orleans' ADO.NET grain storage over the project's schema.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Postgres")]
public sealed class PostgresGrainStorageTests(PostgresSchemaFixture schema) : IClassFixture<PostgresSchemaFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WriteState_DeactivatedThenSiloRestarted_StateReadBack()
    {
        await using var cluster = PostgresTestCluster.Build(schema.Storage, silos: 1);
        await cluster.DeployAsync(Ct);
        var key = NewKey();
        var grain = cluster.Client.GetGrain<ICounterGrain>(key);
        await grain.AddAsync(3);
        Assert.Equal(7, await grain.AddAsync(4));
        var firstActivation = await grain.GetActivationIdAsync();

        await cluster.DeactivateAsync(grain);
        Assert.NotEqual(firstActivation, await grain.GetActivationIdAsync());
        Assert.Equal(7, await grain.GetAsync());

        await cluster.StopAllSilosAsync(Ct);
        await cluster.StartAdditionalSilosAsync(1, startAdditionalSiloOnNewPort: true, Ct);
        await cluster.InitializeClientAsync(Ct);
        Assert.Equal(7, await cluster.Client.GetGrain<ICounterGrain>(key).GetAsync());
    }

    [Fact]
    public async Task WriteState_StoredPayload_IsJsonNamingNoDotNetType()
    {
        await using var cluster = PostgresTestCluster.Build(schema.Storage, silos: 1);
        await cluster.DeployAsync(Ct);
        // The cluster's ServiceId is its own: the only row under it is this grain's.
        await cluster.Client.GetGrain<ICounterGrain>(NewKey()).AddAsync(5);

        var payload = (string?)await schema.Storage.ScalarAsync(
            $"SELECT convert_from(payload, 'UTF8') FROM orleans_grain_state " +
            $"WHERE service_id = '{cluster.Options.ServiceId}' AND state_name = '{CounterGrain.StateName}'");
        Assert.NotNull(payload);
        using var json = JsonDocument.Parse(payload);
        Assert.Equal(5, json.RootElement.GetProperty(nameof(CounterState.Total)).GetInt32());
        // A renamed or moved state class must still read its rows: no type or assembly names stored.
        Assert.DoesNotContain("$type", payload, StringComparison.Ordinal);
        Assert.DoesNotContain(typeof(CounterState).Namespace!, payload, StringComparison.Ordinal);
    }

    // The provider stores a key that parses as a GUID as two 64-bit halves with no text, any other
    // string key as text: the first case needs the unique index to treat the missing text as equal.
    [Theory]
    [InlineData("6f9619ff8b86d011b42d00cf4fc964ff")]
    [InlineData("writer-key")]
    public async Task WriteState_TwoWritersFromOneVersion_SecondRefused(string key)
    {
        await using var cluster = PostgresTestCluster.Build(schema.Storage, silos: 1);
        await cluster.DeployAsync(Ct);
        var storage = cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(PostgresSiloBuilderExtensions.GrainStorageName);
        var grainId = GrainId.Create("counter", key);
        var first = new GrainState<CounterState>(new CounterState());
        var second = new GrainState<CounterState>(new CounterState());

        // Both writers saw no state: the first insert wins, the second is refused.
        await storage.ReadStateAsync(CounterGrain.StateName, grainId, first);
        await storage.ReadStateAsync(CounterGrain.StateName, grainId, second);
        first.State = new CounterState { Total = 1 };
        await storage.WriteStateAsync(CounterGrain.StateName, grainId, first);
        second.State = new CounterState { Total = 2 };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(CounterGrain.StateName, grainId, second));

        // Both writers hold the same version: the first update wins, the second is refused.
        await storage.ReadStateAsync(CounterGrain.StateName, grainId, second);
        Assert.Equal(first.ETag, second.ETag);
        first.State = new CounterState { Total = 3 };
        await storage.WriteStateAsync(CounterGrain.StateName, grainId, first);
        second.State = new CounterState { Total = 4 };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(CounterGrain.StateName, grainId, second));

        var stored = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync(CounterGrain.StateName, grainId, stored);
        Assert.Equal(3, stored.State?.Total);
        Assert.Equal(first.ETag, stored.ETag);
    }

    [Fact]
    public async Task ClearState_AfterWrite_RowDeletedAndStateStartsOver()
    {
        await using var cluster = PostgresTestCluster.Build(schema.Storage, silos: 1);
        await cluster.DeployAsync(Ct);
        var key = NewKey();
        var grain = cluster.Client.GetGrain<ICounterGrain>(key);
        var rows = $"SELECT count(*) FROM orleans_grain_state WHERE service_id = '{cluster.Options.ServiceId}'";
        await grain.AddAsync(5);
        Assert.Equal(1L, await schema.Storage.ScalarAsync(rows));

        await grain.ClearAsync();
        Assert.Equal(0L, await schema.Storage.ScalarAsync(rows));
        Assert.Equal(0, await grain.GetAsync());

        Assert.Equal(2, await grain.AddAsync(2));
        await cluster.DeactivateAsync(grain);
        Assert.Equal(2, await grain.GetAsync());
    }

    private static string NewKey() => Guid.NewGuid().ToString("N");
}
