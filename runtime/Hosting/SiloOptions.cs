namespace AgentGrains.Runtime.Hosting;

/// <summary>Settings of one silo, bound from the <c>Silo</c> configuration section.</summary>
public sealed class SiloOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Silo";

    /// <summary>This silo's id; default: host name plus a random suffix, new on every start.</summary>
    public string? SiloId { get; set; }

    /// <summary>Where this silo serves the gateway API, as other silos and people see it; default: the host name.</summary>
    public string? Address { get; set; }

    /// <summary>How often the silo renews its membership heartbeat; default 2 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How old a silo's heartbeat may get before the others declare it dead and take over its grains; default 10 seconds.</summary>
    /// <remarks>
    /// A silo that has not renewed its heartbeat for <c>DeathTimeout - HeartbeatInterval</c> stops
    /// processing by itself (self-fencing), so it has stopped before anyone may take over.
    /// </remarks>
    public TimeSpan DeathTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many grains this silo keeps active before it places new ones on less loaded silos; default 100,000.</summary>
    /// <remarks>Placement is pull-based: a silo at its limit claims no new grain while a peer below its own limit exists.</remarks>
    public int MaxActivations { get; set; } = 100_000;

    /// <summary>How long an activation may stay idle before it is deactivated; default 15 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a caller waits for a grain call's result; default 60 seconds.</summary>
    /// <remarks>A durable call that times out stays in the inbox and is still processed.</remarks>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the silo looks for pending messages that no activation is processing; default 30 seconds.</summary>
    /// <remarks>A silo also does this once at start, which is what resumes work after a crash.</remarks>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a silo that hosts grains looks for due reminders and fires them; default 1 second.</summary>
    /// <remarks>
    /// A tick arrives up to this much after its due time. Every silo polls; each poll claims a batch
    /// of due reminders in one transaction, so silos never fire one tick twice.
    /// </remarks>
    public TimeSpan ReminderPollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
