namespace AgentGrains.Tests.Deploy;

/// <summary>The repository's files as the deployment tests read them.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder holding AgentGrains.sln.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The full path of a path relative to the repository root (written with '/').</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The text of a file of the repository.</summary>
    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AgentGrains.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AgentGrains.sln above {AppContext.BaseDirectory}.");
    }
}
