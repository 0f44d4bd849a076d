using AgentGrains.Storage.Cluster;

namespace AgentGrains.Tests.Storage.Cluster;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ClusteringOptionsValidatorTests
{
    private static readonly ClusteringOptionsValidator Validator = new();

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = Validator.Validate(null, new ClusteringOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_RedisWithConnectionString_Succeeds()
    {
        var result = Validator.Validate(null, new ClusteringOptions
        {
            Provider = ClusterProvider.Redis,
            RedisConnectionString = "redis:6379,password=secret,abortConnect=false",
            AdvertisedIP = "10.0.0.5",
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_UnknownProvider_NamesTheProvidersThatExist()
    {
        var options = new ClusteringOptions();
        options.UnrecognizedProvider = "Mongo";

        var result = Validator.Validate(null, options);

        var failure = Assert.Single(result.Failures!);
        Assert.Contains("Cluster:Provider is 'Mongo'; set it to Localhost", failure, StringComparison.Ordinal);
        Assert.Contains("Redis", failure, StringComparison.Ordinal);
        Assert.Contains("AdoNet", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RedisWithoutConnectionString_SaysWhereToSetIt()
    {
        var result = Validator.Validate(null, new ClusteringOptions { Provider = ClusterProvider.Redis });

        var failure = Assert.Single(result.Failures!);
        Assert.Contains("ConnectionStrings:Redis is empty", failure, StringComparison.Ordinal);
        Assert.Contains("such as redis:6379", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RedisConnectionStringWithUnknownOption_SaysHowToWriteItButNeverEchoesIt()
    {
        var result = Validator.Validate(null, new ClusteringOptions
        {
            Provider = ClusterProvider.Redis,
            RedisConnectionString = "redis:6379,pasword=hunter2-secret",
        });

        var failure = Assert.Single(result.Failures!);
        Assert.Contains("ConnectionStrings:Redis is not a valid StackExchange.Redis configuration string; write it as host:port", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RedisConnectionStringWithoutServer_AsksForHostAndPort()
    {
        var result = Validator.Validate(null, new ClusteringOptions
        {
            Provider = ClusterProvider.Redis,
            RedisConnectionString = "password=hunter2-secret,ssl=true",
        });

        var failure = Assert.Single(result.Failures!);
        Assert.Contains("ConnectionStrings:Redis names no server; start it with the Redis server's host:port", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LocalhostIgnoresTheRedisConnectionString()
    {
        var result = Validator.Validate(null, new ClusteringOptions { RedisConnectionString = "not a redis string at all,,=" });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_PortsOutOfRange_ReportsEachWithItsDefault()
    {
        var result = Validator.Validate(null, new ClusteringOptions { SiloPort = 0, GatewayPort = 70000 });

        var failures = result.Failures!.ToList();
        Assert.Equal(2, failures.Count);
        Assert.Contains("Orleans:SiloPort is 0; set it to a free TCP port between 1 and 65535 (default 11111).", failures);
        Assert.Contains("Orleans:GatewayPort is 70000; set it to a free TCP port between 1 and 65535 (default 30000).", failures);
    }

    [Fact]
    public void Validate_SameSiloAndGatewayPort_AsksForOneEach()
    {
        var result = Validator.Validate(null, new ClusteringOptions { SiloPort = 20000, GatewayPort = 20000 });

        var failure = Assert.Single(result.Failures!);
        Assert.Contains("Orleans:SiloPort and Orleans:GatewayPort are both 20000", failure, StringComparison.Ordinal);
        Assert.Contains("change one of them", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EverythingWrong_ReportsEveryProblemAtOnce()
    {
        var result = Validator.Validate(null, new ClusteringOptions
        {
            Provider = ClusterProvider.Redis,
            ClusterId = " ",
            ServiceId = "",
            SiloPort = -1,
            GatewayPort = 65536,
            AdvertisedIP = "silo-1.internal",
        });

        var failures = result.Failures!.ToList();
        Assert.Equal(6, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("ConnectionStrings:Redis is empty", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Orleans:ClusterId is empty; set it to", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Orleans:ServiceId is empty; set it to", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Orleans:SiloPort is -1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Orleans:GatewayPort is 65536", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Orleans:AdvertisedIP 'silo-1.internal' is not an IP address; set it to", StringComparison.Ordinal));
    }
}
