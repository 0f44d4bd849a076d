using System.Xml.Linq;

namespace AgentGrains.Tests.Deploy;

/// <summary>What the deployment files must agree with in the projects: assembly names and project references.</summary>
internal static class ProjectFiles
{
    /// <summary>The assembly a project builds: its AssemblyName, or its file name.</summary>
    public static string AssemblyName(string project)
    {
        var document = XDocument.Load(RepositoryFiles.PathOf(project));
        var declared = document.Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault(v => v.Length > 0);
        return declared ?? Path.GetFileNameWithoutExtension(project);
    }

    /// <summary>The project and every project it references, directly or not (paths relative to the root, '/'-separated).</summary>
    public static IReadOnlySet<string> WithReferences(string project)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Normalize(project)]);
        while (pending.TryPop(out var next))
        {
            if (!found.Add(next))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(RepositoryFiles.PathOf(next))!;
            foreach (var reference in XDocument.Load(RepositoryFiles.PathOf(next)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(directory, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Normalize(Path.GetRelativePath(RepositoryFiles.Root, full)));
            }
        }

        return found;
    }

    private static string Normalize(string path) => path.Replace('\\', '/');
}
