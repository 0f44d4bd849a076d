using System.Text.RegularExpressions;
using System.Xml.Linq;
using AgentGrains.Storage.Cluster;

namespace AgentGrains.Tests.Deploy;

/// <summary>The Dockerfile, read statically (no container engine here) and checked against the repository it builds.</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed partial class DockerfileTests
{
    internal const string SiloProject = "silo/AgentGrains.Silo.csproj";
    internal const string GatewayProject = "client/AgentGrains.Client.csproj";
    internal const string EntrypointScript = "deploy/entrypoint.sh";

    private static readonly string[] BuildSettings = ["global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig", "NuGet.config", "nuget.config"];

    private static readonly Lazy<Dockerfile> File = new(() => Dockerfile.Parse(RepositoryFiles.Read("Dockerfile")));
    private static readonly Lazy<DockerIgnore> Ignore = new(() => new DockerIgnore(RepositoryFiles.Read(".dockerignore")));

    internal static Dockerfile Image => File.Value;

    [Fact]
    public void Stages_BuildOnTheSdkAndRunOnTheAspNetRuntimeOfTheTargetFramework()
    {
        var framework = XDocument.Load(RepositoryFiles.PathOf("Directory.Build.props")).Descendants("TargetFramework").Single().Value;
        var version = framework.Replace("net", "", StringComparison.Ordinal);

        Assert.True(Image.Stages.Count >= 2, "a multi-stage build: the SDK builds, the runtime image runs");
        Assert.Equal($"mcr.microsoft.com/dotnet/sdk:{version}", Image.Stages[0].Image);
        Assert.Equal($"mcr.microsoft.com/dotnet/aspnet:{version}", Image.Stages[Image.FinalStage].Image);
        Assert.DoesNotContain(Image.Of(Image.FinalStage, "RUN"), run => run.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
    }

    [Fact]
    public void FinalStage_RunsAsANonRootUser()
    {
        var user = Assert.Single(Image.Of(Image.FinalStage, "USER")).Arguments;

        Assert.NotEqual("root", user.Split(':')[0]);
        Assert.NotEqual("0", user.Split(':')[0]);
        // After the USER line nothing runs as root again.
        var userIndex = Image.Instructions.ToList().FindLastIndex(i => i.Keyword == "USER");
        Assert.DoesNotContain(Image.Instructions.Skip(userIndex + 1), i => i.Keyword is "RUN" or "USER");
    }

    [Fact]
    public void Copies_FromTheContext_ExistAndReachTheBuildContext()
    {
        var sources = ContextCopies().SelectMany(copy => copy.Operands.SkipLast(1)).ToList();

        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var path = RepositoryFiles.PathOf(source.TrimEnd('/'));
            Assert.True(System.IO.File.Exists(path) || Directory.Exists(path), $"COPY {source}: no such file or folder in the repository");
            Assert.False(Ignore.Value.Excludes(source), $"COPY {source}: .dockerignore leaves it out of the build context");
        }
    }

    [Fact]
    public void Copies_CoverEveryProjectAndBuildSettingThePublishedProjectsNeed()
    {
        var copies = ContextCopies().ToList();
        var sources = copies.SelectMany(c => c.Operands.SkipLast(1)).Select(s => s.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
        var firstRestore = Image.Instructions.ToList().FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        var copiedBeforeRestore = Image.Instructions.Take(firstRestore).Where(copies.Contains)
            .SelectMany(c => c.Operands.SkipLast(1)).ToHashSet(StringComparer.Ordinal);

        Assert.True(firstRestore > 0, "the project files are restored before the code is copied, so packages stay cached");
        foreach (var project in Published().Keys.SelectMany(ProjectFiles.WithReferences).Distinct())
        {
            Assert.Contains(project, copiedBeforeRestore);
            Assert.Contains(project[..project.LastIndexOf('/')], sources);
        }

        // Everything at the root that a build reads (SDK pin, shared properties, central package versions, code style).
        foreach (var setting in BuildSettings.Where(name => System.IO.File.Exists(RepositoryFiles.PathOf(name))))
        {
            Assert.Contains(setting, copiedBeforeRestore);
        }

        Assert.False(Ignore.Value.Excludes("silo/Program.cs"));
        Assert.True(Ignore.Value.Excludes("silo/bin/Release/net10.0/AgentGrains.Silo.dll"), "build output stays out of the context");
        Assert.True(Ignore.Value.Excludes("storage/obj/project.assets.json"), "restore output stays out of the context");
    }

    [Fact]
    public void Publish_BuildsTheSiloAndTheGatewayProjects()
    {
        var published = Published();

        Assert.Equal(new[] { GatewayProject, SiloProject }, published.Keys.Order(StringComparer.Ordinal));
        foreach (var project in published.Keys)
        {
            Assert.True(System.IO.File.Exists(RepositoryFiles.PathOf(project)), $"dotnet publish {project}: no such project");
        }
    }

    [Fact]
    public void Entrypoint_StartsEachRoleFromItsPublishedAssembly()
    {
        var script = RepositoryFiles.Read(EntrypointScript);
        var roles = RoleCommand().Matches(script).ToDictionary(m => m.Groups["role"].Value, m => m.Groups["dll"].Value, StringComparer.Ordinal);
        var published = Published();
        var installed = Image.Of(Image.FinalStage, "COPY")
            .Where(c => c.Flag("from") == Image.Stages[0].Name)
            .ToDictionary(c => c.Operands[0].TrimEnd('/'), c => c.Operands[^1].TrimEnd('/'), StringComparer.Ordinal);

        Assert.Contains(ContextCopies(), c => c.Operands[0] == EntrypointScript);
        Assert.Equal(["gateway", "silo"], roles.Keys.Order(StringComparer.Ordinal));
        foreach (var (role, project) in new[] { ("silo", SiloProject), ("gateway", GatewayProject) })
        {
            var dll = roles[role];
            Assert.Equal(ProjectFiles.AssemblyName(project) + ".dll", Path.GetFileName(dll));
            Assert.True(installed.TryGetValue(published[project], out var folder), $"the output of {project} ({published[project]}) is not copied into the final image");
            Assert.Equal(folder, Path.GetDirectoryName(dll));
        }
    }

    [Fact]
    public void Entrypoint_IsTheImagesEntrypointWithSiloAsTheDefaultRoleAndAHealthCheck()
    {
        var entrypoint = Assert.Single(Image.Of(Image.FinalStage, "ENTRYPOINT")).Words;
        var installedAs = Image.Of(Image.FinalStage, "COPY").Select(c => c.Operands[^1]).ToList();

        Assert.Contains($"/usr/local/bin/{entrypoint[0]}", installedAs);
        Assert.Equal(["silo"], Assert.Single(Image.Of(Image.FinalStage, "CMD")).Words);
        Assert.Equal("silo", Image.Environment["AGENTGRAINS_ROLE"]);
        var healthcheck = Assert.Single(Image.Of(Image.FinalStage, "HEALTHCHECK")).Arguments;
        Assert.Contains($"\"{entrypoint[0]}\", \"probe\", \"/healthz\"", healthcheck, StringComparison.Ordinal);
    }

    [Fact]
    public void Expose_TheHttpPortAndOrleansSiloAndGatewayPorts()
    {
        Assert.Equal(new HashSet<int> { HttpPort, ClusteringOptions.DefaultSiloPort, ClusteringOptions.DefaultGatewayPort }, Image.ExposedPorts);
    }

    /// <summary>The HTTP port of both programs in the image (ASPNETCORE_HTTP_PORTS), which must be EXPOSEd.</summary>
    internal static int HttpPort => int.Parse(Image.Environment["ASPNETCORE_HTTP_PORTS"], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The host's shutdown timeout in the image (DOTNET_SHUTDOWNTIMEOUTSECONDS), the most a graceful stop takes.</summary>
    internal static int ShutdownTimeoutSeconds => int.Parse(Image.Environment["DOTNET_SHUTDOWNTIMEOUTSECONDS"], System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<DockerInstruction> ContextCopies() =>
        Image.Instructions.Where(i => i.Keyword is "COPY" or "ADD" && i.Flag("from") is null);

    /// <summary>Each published project and its output folder (<c>dotnet publish project ... -o folder</c>).</summary>
    private static Dictionary<string, string> Published() =>
        Image.Of(0, "RUN")
            .SelectMany(run => PublishCommand().Matches(run.Arguments))
            .ToDictionary(m => m.Groups["project"].Value, m => m.Groups["output"].Value.TrimEnd('/'), StringComparer.Ordinal);

    [GeneratedRegex(@"dotnet publish (?<project>\S+\.csproj)[^&]*?-o (?<output>\S+)")]
    private static partial Regex PublishCommand();

    [GeneratedRegex(@"^\s*(?<role>silo|gateway)\)\s*exec dotnet (?<dll>\S+\.dll)", RegexOptions.Multiline)]
    private static partial Regex RoleCommand();
}
