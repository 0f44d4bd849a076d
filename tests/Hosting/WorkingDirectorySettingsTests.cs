using AgentGrains.Client.Hosting;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace AgentGrains.Tests.Hosting;

/// <summary>An appsettings.json in the working directory: over the shipped one, under the environment and the command line.</summary>
[Trait("Category", "Unit")]
public sealed class WorkingDirectorySettingsTests : IDisposable
{
    private readonly TempDirectory shipped = new();
    private readonly TempDirectory working = new();

    [Fact]
    public void AddWorkingDirectorySettings_OverridesTheShippedFile_AndIsOverriddenByTheCommandLine()
    {
        File.WriteAllText(shipped.File("appsettings.json"), """{ "Storage": { "Path": "shipped.db" }, "A": "shipped", "B": "shipped" }""");
        File.WriteAllText(working.File("appsettings.json"), """{ "A": "working", "B": "working", "Mcp": { "Servers": { "files": { "Command": "npx" } } } }""");
        var builder = new ConfigurationBuilder()
            .AddJsonFile(shipped.File("appsettings.json"), optional: true)
            .AddInMemoryCollection(new Dictionary<string, string?> { ["B"] = "command line" });

        ExecutableHost.AddWorkingDirectorySettings(builder, working.Path);
        var configuration = builder.Build();

        Assert.Equal("shipped.db", configuration["Storage:Path"]);
        Assert.Equal("working", configuration["A"]);
        Assert.Equal("command line", configuration["B"]);
        Assert.Equal("npx", configuration["Mcp:Servers:files:Command"]);
    }

    [Fact]
    public void AddWorkingDirectorySettings_NoFileThere_ChangesNothing()
    {
        var builder = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["A"] = "set" });

        ExecutableHost.AddWorkingDirectorySettings(builder, working.Path);

        Assert.Equal("set", builder.Build()["A"]);
    }

    [Fact]
    public void AddWorkingDirectorySettings_TheWorkingDirectoryIsTheBinarys_ReadsTheFileOnce()
    {
        var builder = new ConfigurationBuilder();

        ExecutableHost.AddWorkingDirectorySettings(builder, AppContext.BaseDirectory);

        Assert.Empty(builder.Sources);
    }

    public void Dispose()
    {
        shipped.Dispose();
        working.Dispose();
    }
}
