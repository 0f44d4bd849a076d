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
}
