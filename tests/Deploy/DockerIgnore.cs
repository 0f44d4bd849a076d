using System.Text.RegularExpressions;

namespace AgentGrains.Tests.Deploy;

/// <summary>The patterns of a .dockerignore file, enough to tell whether a path reaches the build context.</summary>
internal sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude)> rules = [];

    public DockerIgnore(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var exclude = !line.StartsWith('!');
            var pattern = line.TrimStart('!').TrimStart('/').TrimEnd('/');
            var regex = "^" + Regex.Escape(pattern)
                .Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
                .Replace(@"\*\*", ".*", StringComparison.Ordinal)
                .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
                .Replace(@"\?", "[^/]", StringComparison.Ordinal) + "(/.*)?$";
            rules.Add((new Regex(regex, RegexOptions.CultureInvariant), exclude));
        }
    }

    /// <summary>Whether <paramref name="path"/> (relative to the context, '/'-separated) is left out of the build context.</summary>
    public bool Excludes(string path)
    {
        var normalized = path.Trim('/');
        var excluded = false;
        foreach (var (pattern, exclude) in rules)
        {
            if (pattern.IsMatch(normalized))
            {
                excluded = exclude;
            }
        }

        return excluded;
    }
}
