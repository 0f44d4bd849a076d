namespace AgentGrains.Client.Gateway;

/// <summary>Settings of the gateway HTTP API, bound from the <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Gateway";

    /// <summary>The default of <see cref="MaxRequestBodyBytes"/>: 256 KiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 256 * 1024;

    /// <summary>The largest value <see cref="MaxRequestBodyBytes"/> accepts: 64 MiB.</summary>
    /// <remarks>A request body is buffered in memory before it is parsed, so the limit bounds memory per request.</remarks>
    public const long MaxAllowedRequestBodyBytes = 64 * 1024 * 1024;

    /// <summary>The largest request body accepted, in bytes; default 262144 (256 KiB).</summary>
    /// <remarks>
    /// A larger body is refused with 413 whether it declares its length or is sent chunked, and
    /// before any grain is called, so it never changes stored state.
    /// </remarks>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>The default of <see cref="MaxReplyWait"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultMaxReplyWait = TimeSpan.FromSeconds(30);

    /// <summary>How long <c>POST /v1/sessions/{id}/messages</c> waits for the run's final reply before answering 202; default 30 seconds.</summary>
    /// <remarks>
    /// The message is durable before the wait starts: after 202 the run goes on, and
    /// <c>GET /v1/runs/{runId}</c> or its event stream gives the outcome. Keep it below the silo's
    /// <c>Silo:ResponseTimeout</c>. Zero makes every message answer 202 at once.
    /// </remarks>
    public TimeSpan MaxReplyWait { get; set; } = DefaultMaxReplyWait;

    /// <summary>How long one poll of a run's event stream waits for a new event before a keep-alive comment; default 15 seconds.</summary>
    public TimeSpan EventPollWait { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The API keys the gateway accepts, by name (<c>Gateway:ApiKeys:&lt;name&gt;:Hash</c>, <c>...:Tenant</c>, <c>...:Roles:0</c>); none (default) leaves the gateway open.</summary>
    /// <remarks>
    /// With none, every caller may do everything, as one user of no tenant: fit for the embedded default
    /// on loopback, which says so at start-up. A gateway that listens beyond loopback refuses to start
    /// without keys unless <see cref="AllowAnonymous"/> is set.
    /// </remarks>
    public Dictionary<string, Identity.ApiKeyOptions> ApiKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Lets a gateway without <see cref="ApiKeys"/> listen beyond loopback (behind a proxy that authenticates, say); default false.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>The request rate each tenant may send by default (<c>Gateway:RateLimit:PermitsPerSecond</c>, <c>...:Burst</c>); unlimited by default.</summary>
    /// <remarks>Past it a request gets 429 with <c>Retry-After</c>. A tenant's own <c>Tenants:&lt;tenant&gt;:RateLimit</c> replaces it.</remarks>
    public GrainInterfaces.Tenants.RateLimitOptions RateLimit { get; set; } = new();
}
