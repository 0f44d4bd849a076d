using System.Globalization;
using AgentGrains.Grains.Memory;
using Microsoft.Extensions.Configuration;

namespace AgentGrains.Grains.Agents;

/// <summary>Reads agent definitions from the <c>Agents</c> configuration section, so an agent can be defined without code.</summary>
/// <remarks>
/// <code>
/// Agents:support:Instructions = "You help customers…"
/// Agents:support:Tools:0 = notify
/// Agents:support:MaxSteps = 12
/// Agents:support:WhenBusy = Interrupt
/// </code>
/// Every <see cref="AgentDefinition"/> property can be set by its name; durations use the
/// <c>hh:mm:ss</c> form. A value that does not parse fails the host's start with every problem listed.
/// </remarks>
public static class ConfiguredAgents
{
    // An agent's values when the configuration leaves them out.
    private static readonly AgentDefinition Defaults = new("defaults", string.Empty, []);

    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Agents";

    /// <summary>The agents defined under <see cref="SectionName"/>; empty without configuration.</summary>
    /// <exception cref="InvalidOperationException">A value does not parse; the message lists every problem and how to fix it.</exception>
    public static IReadOnlyList<AgentDefinition> Read(IConfiguration? configuration)
    {
        if (configuration is null)
        {
            return [];
        }

        var problems = new List<string>();
        var agents = new List<AgentDefinition>();
        foreach (var section in configuration.GetSection(SectionName).GetChildren())
        {
            var reader = new Reader(section, problems);
            var tools = section.GetSection("Tools").GetChildren().Select(static t => t.Value ?? string.Empty).ToList();
            var memory = reader.Bool(nameof(AgentDefinition.Memory)) ?? false;
            if (memory)
            {
                // An agent with memory can store facts and search them itself.
                tools.AddRange(new[] { MemoryTools.RememberName, MemoryTools.RecallName }.Where(t => !tools.Contains(t, StringComparer.Ordinal)));
            }

            agents.Add(new AgentDefinition(section.Key, section["Instructions"] ?? string.Empty, tools)
            {
                HistoryWindow = reader.Int(nameof(AgentDefinition.HistoryWindow)) ?? Defaults.HistoryWindow,
                SummarizeAfter = reader.Int(nameof(AgentDefinition.SummarizeAfter)),
                Memory = memory,
                SummaryMaxLength = reader.Int(nameof(AgentDefinition.SummaryMaxLength)) ?? Defaults.SummaryMaxLength,
                MaxSteps = reader.Int(nameof(AgentDefinition.MaxSteps)) ?? Defaults.MaxSteps,
                ModelTimeout = reader.Duration(nameof(AgentDefinition.ModelTimeout)) ?? Defaults.ModelTimeout,
                MaxTokens = reader.Long(nameof(AgentDefinition.MaxTokens)),
                MaxCost = reader.Decimal(nameof(AgentDefinition.MaxCost)),
                MaxWallTime = reader.Duration(nameof(AgentDefinition.MaxWallTime)) ?? Defaults.MaxWallTime,
                WhenBusy = reader.Enum<WhenBusy>(nameof(AgentDefinition.WhenBusy)) ?? Defaults.WhenBusy,
                MaxQueuedMessages = reader.Int(nameof(AgentDefinition.MaxQueuedMessages)) ?? Defaults.MaxQueuedMessages,
                StallTimeout = reader.Duration(nameof(AgentDefinition.StallTimeout)) ?? Defaults.StallTimeout,
                WatchdogPeriod = reader.Duration(nameof(AgentDefinition.WatchdogPeriod)) ?? Defaults.WatchdogPeriod,
                ApprovalTimeout = reader.Duration(nameof(AgentDefinition.ApprovalTimeout)) ?? Defaults.ApprovalTimeout,
                Model = section[nameof(AgentDefinition.Model)],
                // Specialists themselves need a contract (typed records), so they are defined in code; a configured manager may call them.
                Specialists = [.. section.GetSection(nameof(AgentDefinition.Specialists)).GetChildren().Select(static t => t.Value ?? string.Empty)],
                Handoffs = [.. section.GetSection(nameof(AgentDefinition.Handoffs)).GetChildren().Select(static t => t.Value ?? string.Empty)],
            });
            if (string.IsNullOrWhiteSpace(section["Instructions"]))
            {
                problems.Add($"{section.Path}:Instructions is empty; give the agent its system prompt");
            }
        }

        return problems.Count == 0
            ? agents
            : throw new InvalidOperationException("Invalid agents in configuration: " + string.Join("; ", problems) + ".");
    }

    private sealed class Reader(IConfigurationSection section, List<string> problems)
    {
        public int? Int(string key) => Parse(key, "a whole number", static v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) ? x : (int?)null);

        public long? Long(string key) => Parse(key, "a whole number", static v => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) ? x : (long?)null);

        public decimal? Decimal(string key) => Parse(key, "a number such as 0.25", static v => decimal.TryParse(v, NumberStyles.Number, CultureInfo.InvariantCulture, out var x) ? x : (decimal?)null);

        public bool? Bool(string key) => Parse(key, "true or false", static v => bool.TryParse(v, out var x) ? x : (bool?)null);

        public TimeSpan? Duration(string key) => Parse(key, "a duration such as 00:01:30", static v => TimeSpan.TryParse(v, CultureInfo.InvariantCulture, out var x) ? x : (TimeSpan?)null);

        public TEnum? Enum<TEnum>(string key)
            where TEnum : struct, System.Enum =>
            Parse(key, $"one of {string.Join(", ", System.Enum.GetNames<TEnum>())}", static v => System.Enum.TryParse<TEnum>(v, ignoreCase: true, out var x) && System.Enum.IsDefined(x) ? x : (TEnum?)null);

        private T? Parse<T>(string key, string expected, Func<string, T?> parse)
            where T : struct
        {
            if (section[key] is not { Length: > 0 } value)
            {
                return null;
            }

            var parsed = parse(value);
            if (parsed is null)
            {
                problems.Add($"{section.Path}:{key} is '{value}'; set it to {expected}");
            }

            return parsed;
        }
    }
}
