using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AgentGrains.Storage.Journal;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Bench;

/// <summary>Where a step's time goes: timestamps of the model and tool calls, journal commits, reminder writes and grain turns, per session.</summary>
/// <remarks>
/// <para>The bench's model and tool mark their calls; <see cref="Instrument"/> wraps the silo's
/// session journal and reminder table to time their writes, and adds a grain call filter that times
/// the session's turns (requests, and the one-shot grain timers the driver plans and journals in).
/// Recording costs a timestamp and a queue insert per event, well under a microsecond.</para>
/// <para><see cref="Analyze"/> walks each session's events in order and attributes the gaps between
/// them, so the phases of one run at a time add up to a step; with many runs they also show queueing.</para>
/// </remarks>
internal sealed class StepTimeline
{
    private readonly ConcurrentQueue<Entry> entries = new();

    public enum Kind
    {
        /// <summary>The model was called (an instant).</summary>
        Model,

        /// <summary>The tool was called (an instant).</summary>
        Tool,

        /// <summary>A session journal commit (an interval).</summary>
        Commit,

        /// <summary>A reminder table upsert: a run's watchdog registered (an interval).</summary>
        ReminderUpsert,

        /// <summary>A reminder table delete: a run's watchdog removed (an interval).</summary>
        ReminderRemove,

        /// <summary>A grain turn of the session that is not a read (an interval).</summary>
        Turn,
    }

    /// <summary>Whether events are recorded now.</summary>
    public bool Enabled { get; set; }

    /// <summary>Wraps the silo's journal and reminder table, and times the session's turns.</summary>
    public void Instrument(IServiceCollection services)
    {
        Decorate<ISessionJournal>(services, inner => new TimedSessionJournal(inner, this));
        Decorate<IReminderTable>(services, inner => new TimedReminderTable(inner, this));
        services.AddSingleton<IIncomingGrainCallFilter>(new TurnFilter(this));
    }

    public void Mark(Kind kind, string session)
    {
        if (Enabled)
        {
            var now = Stopwatch.GetTimestamp();
            entries.Enqueue(new Entry(kind, KeyOf(session), now, now));
        }
    }

    public void Record(Kind kind, string session, long start)
    {
        if (Enabled)
        {
            entries.Enqueue(new Entry(kind, KeyOf(session), start, Stopwatch.GetTimestamp()));
        }
    }

    public void Clear() => entries.Clear();

    /// <summary>The phases of the steps recorded; a step is one model call.</summary>
    public IReadOnlyList<Phase> Analyze()
    {
        var steps = entries.Count(static e => e.Kind == Kind.Model);
        var samples = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        void Add(string phase, long from, long to) =>
            (samples.TryGetValue(phase, out var list) ? list : samples[phase] = []).Add(Stopwatch.GetElapsedTime(from, to).TotalMilliseconds);

        foreach (var session in entries.GroupBy(static e => e.Session))
        {
            long? commitEnd = null, model = null, tool = null;
            foreach (var e in session.OrderBy(static e => e.Start))
            {
                switch (e.Kind)
                {
                    case Kind.Model:
                        if (commitEnd is { } end)
                        {
                            Add(PlanPhase, end, e.Start);
                        }

                        (commitEnd, model, tool) = (null, e.Start, null);
                        break;
                    case Kind.Tool:
                        if (model is { } called)
                        {
                            Add(ModelPhase, called, e.Start);
                        }

                        tool = e.Start;
                        break;
                    case Kind.Commit:
                        if ((tool ?? model) is { } last)
                        {
                            Add(RecordPhase, last, e.Start);
                        }

                        Add(CommitPhase, e.Start, e.End);
                        (commitEnd, model, tool) = (e.End, null, null);
                        break;
                    case Kind.ReminderUpsert:
                        Add(UpsertPhase, e.Start, e.End);
                        break;
                    case Kind.ReminderRemove:
                        Add(RemovePhase, e.Start, e.End);
                        break;
                    case Kind.Turn:
                        Add(TurnPhase, e.Start, e.End);
                        break;
                }
            }
        }

        return [.. Order.Where(samples.ContainsKey).Select(name =>
        {
            var values = samples[name];
            values.Sort();
            return new Phase(name, Keys[Array.IndexOf(Order, name)], values.Count / (double)Math.Max(1, steps), values[values.Count / 2], values.Average());
        })];
    }

    private const string PlanPhase = "commit done → model called: publish, planning (the first step's own turn, later steps in the turn that journaled the last), Task.Run";
    private const string ModelPhase = "model called → tool called: the scripted model, Task.Run";
    private const string RecordPhase = "last call → commit starts: the journaling turn (grain timer), the engine records, JSON";
    private const string CommitPhase = "journal commit (the group-committing writer's round trip)";
    private const string UpsertPhase = "reminder upsert (a session's watchdog registered, before the commit of its first run's start)";
    private const string RemovePhase = "reminder delete (the watchdog removed by its first tick with no run going)";
    private const string TurnPhase = "grain turn of the session: the driver's and the messages' turns (grain timers) and other requests (reads excluded)";
    private static readonly string[] Order = [PlanPhase, ModelPhase, RecordPhase, CommitPhase, UpsertPhase, RemovePhase, TurnPhase];

    /// <summary>Short names of the phases, in <see cref="Order"/>.</summary>
    public static readonly string[] Keys = ["planning hop", "model + tool", "journaling hop", "journal commit", "reminder upsert", "reminder delete", "session turn"];

    /// <summary>The grain id's key (<c>agent-session/{key}</c> → <c>{key}</c>): the journal and Orleans name sessions by grain id, the tools by key.</summary>
    private static string KeyOf(string session) => session[(session.LastIndexOf('/') + 1)..];

    private static void Decorate<T>(IServiceCollection services, Func<T, T> wrap)
        where T : class
    {
        var descriptor = services.LastOrDefault(static d => d.ServiceType == typeof(T) && !d.IsKeyedService)
            ?? throw new InvalidOperationException($"No {typeof(T).Name} is registered to time.");
        services.Remove(descriptor);
        services.AddSingleton(sp => wrap((T)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!))));
    }

    /// <summary>One phase: how often it happens per journaled step, its median and its mean.</summary>
    public sealed record Phase(string Name, string Key, double PerStep, double P50Ms, double MeanMs)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"| {Name} | {PerStep:0.00} | {P50Ms:0.000} | {MeanMs:0.000} |");
    }

    private readonly record struct Entry(Kind Kind, string Session, long Start, long End);

    private sealed class TurnFilter(StepTimeline timeline) : IIncomingGrainCallFilter
    {
        public async Task Invoke(IIncomingGrainCallContext context)
        {
            // Reads interleave and long-poll: their time is waiting, not work. So does SubmitAndWaitAsync,
            // which takes its message in a turn of its own (a grain timer, timed here as any other turn).
            var method = context.ImplementationMethod.Name;
            if (!timeline.Enabled || context.TargetId.Type.ToString() != "agent-session" || method.StartsWith("Get", StringComparison.Ordinal)
                || method.StartsWith("Wait", StringComparison.Ordinal) || method == "SubmitAndWaitAsync")
            {
                await context.Invoke();
                return;
            }

            var start = Stopwatch.GetTimestamp();
            try
            {
                await context.Invoke();
            }
            finally
            {
                timeline.Record(Kind.Turn, context.TargetId.Key.ToString()!, start);
            }
        }
    }
}
