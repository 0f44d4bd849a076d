using System.Text.RegularExpressions;

namespace AgentGrains.Tests.Deploy;

/// <summary>One instruction of a Dockerfile: its keyword (upper case) and its arguments, continuation lines joined.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Stage)
{
    /// <summary>The arguments split at whitespace, or the items of an exec-form JSON array.</summary>
    public IReadOnlyList<string> Words => Arguments.StartsWith('[')
        ? System.Text.Json.JsonSerializer.Deserialize<string[]>(Arguments) ?? []
        : Arguments.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The words that are not <c>--flag</c> options.</summary>
    public IReadOnlyList<string> Operands => [.. Words.Where(w => !w.StartsWith("--", StringComparison.Ordinal))];

    /// <summary>The value of <c>--name=value</c>, or null.</summary>
    public string? Flag(string name) =>
        Words.Where(w => w.StartsWith($"--{name}=", StringComparison.Ordinal)).Select(w => w[(name.Length + 3)..]).FirstOrDefault();
}

/// <summary>A Dockerfile read well enough to check it against the repository: stages, copies, ports, variables, commands.</summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(List<DockerInstruction> instructions, List<(string Image, string? Name)> stages)
    {
        Instructions = instructions;
        Stages = stages;
    }

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    /// <summary>Each stage's base image and name, in order.</summary>
    public IReadOnlyList<(string Image, string? Name)> Stages { get; }

    /// <summary>The last stage's index: the image that runs.</summary>
    public int FinalStage => Stages.Count - 1;

    /// <summary>The instructions of one stage.</summary>
    public IEnumerable<DockerInstruction> Of(int stage, string keyword) =>
        Instructions.Where(i => i.Stage == stage && string.Equals(i.Keyword, keyword, StringComparison.Ordinal));

    /// <summary>The final stage's EXPOSEd ports.</summary>
    public IReadOnlySet<int> ExposedPorts => Of(FinalStage, "EXPOSE")
        .SelectMany(i => i.Words)
        .Select(w => int.Parse(w.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture))
        .ToHashSet();

    /// <summary>The final stage's ENV variables.</summary>
    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var variables = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var env in Of(FinalStage, "ENV"))
            {
                foreach (Match pair in EnvPair().Matches(env.Arguments))
                {
                    variables[pair.Groups["key"].Value] = pair.Groups["value"].Value.Trim('"');
                }
            }

            return variables;
        }
    }

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var stages = new List<(string, string?)>();
        var logical = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#') || (logical.Length == 0 && string.IsNullOrWhiteSpace(line)))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                logical += line[..^1] + " ";
                continue;
            }

            logical += line;
            var trimmed = logical.Trim();
            logical = "";
            if (trimmed.Length == 0)
            {
                continue;
            }

            var space = trimmed.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? trimmed : trimmed[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : trimmed[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
                stages.Add((words[0], words.Length >= 3 && string.Equals(words[1], "AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null));
            }

            instructions.Add(new DockerInstruction(keyword, arguments, stages.Count - 1));
        }

        return new Dockerfile(instructions, stages);
    }

    [GeneratedRegex("""(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>"[^"]*"|\S*)""")]
    private static partial Regex EnvPair();
}
