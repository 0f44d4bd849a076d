using System.Globalization;
using System.Text;
using AgentGrains.Client.Gateway.Errors;

namespace AgentGrains.Client.Gateway.Runs;

/// <summary>Where a client is in a run's event stream: the run's own sequence, and each specialist run's under it.</summary>
/// <remarks>
/// It is the server-sent event id. A run without specialists has plain ids (<c>12</c>, its journal
/// sequence); once specialist events are sent the id also carries their positions
/// (<c>12;r~1.1.0~1=5</c>), so a reconnect with <c>Last-Event-ID</c> resumes every stream of the tree
/// after what was received, without a gap or a duplicate.
/// </remarks>
internal sealed class RunEventCursor
{
    private const char Separator = ';';

    private RunEventCursor(long root, Dictionary<string, long> children)
    {
        Root = root;
        Children = children;
    }

    /// <summary>The last sequence of the run's own journal received.</summary>
    public long Root { get; }

    /// <summary>The last sequence received of each specialist run, by run id.</summary>
    public IReadOnlyDictionary<string, long> Children { get; }

    /// <summary>Reads a <c>Last-Event-ID</c>; empty is the start of the stream.</summary>
    public static RunEventCursor Parse(string? value)
    {
        var children = new Dictionary<string, long>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(value))
        {
            return new RunEventCursor(0, children);
        }

        var parts = value.Split(Separator);
        if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var root))
        {
            throw Invalid();
        }

        foreach (var part in parts.Skip(1))
        {
            var at = part.LastIndexOf('=');
            if (at <= 0 || !long.TryParse(part.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || !children.TryAdd(part[..at], sequence))
            {
                throw Invalid();
            }
        }

        return new RunEventCursor(root, children);
    }

    /// <summary>The id for a position: the run's own sequence, then each specialist run with events received.</summary>
    public static string Format(long root, IEnumerable<(string RunId, long Sequence)> children)
    {
        var text = new StringBuilder(root.ToString(CultureInfo.InvariantCulture));
        foreach (var (runId, sequence) in children)
        {
            if (sequence > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{Separator}{runId}={sequence}");
            }
        }

        return text.ToString();
    }

    private static GatewayProblemException Invalid() =>
        GatewayProblemException.Invalid("Last-Event-ID", "Last-Event-ID must be the id of an event received from this stream.");
}
