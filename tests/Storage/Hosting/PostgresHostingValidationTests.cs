using AgentGrains.Storage.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace AgentGrains.Tests.Storage.Hosting;

/// <summary>A silo configured for PostgreSQL refuses to start on configuration that cannot work, and says how to fix it.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class PostgresHostingValidationTests
{
    [Theory]
    [InlineData("Sqlite", null, "set Storage:Provider to PostgreSQL")]
    [InlineData("PostgreSQL", null, "ConnectionStrings:AgentGrains is empty")]
    [InlineData("PostgreSQL", "Host=localhost;Password=hunter2;Bogus=1", "has an unknown keyword or an invalid value")]
    public async Task StartSilo_UnusableStorageConfiguration_RefusedWithHowToFix(string provider, string? connectionString, string expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = provider,
            ["ConnectionStrings:AgentGrains"] = connectionString,
        });
        builder.UseOrleans(silo => silo.UseLocalhostClustering().UsePostgresStorage());
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }
}
