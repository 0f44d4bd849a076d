using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Client.Gateway.Identity;

/// <summary>Authenticates <c>Authorization: Bearer &lt;key&gt;</c> against the SHA-256 hashes in <c>Gateway:ApiKeys</c>.</summary>
/// <remarks>
/// <para>ASP.NET Core has bearer handlers for tokens it can validate (JWT); an opaque API key compared
/// by its hash is this one's job. The configuration is read at each request through
/// <see cref="IOptionsMonitor{TOptions}"/>, so a key removed from it is refused from then on.</para>
/// <para>With no key configured the gateway is open (the embedded default on loopback): every caller is
/// the anonymous user with both roles and no tenant, as before keys existed. A silo that listens beyond
/// loopback refuses to start that way unless <c>Gateway:AllowAnonymous=true</c>.</para>
/// <para>The key and the hash are never logged or echoed; a refusal names only what to send.</para>
/// </remarks>
internal sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<GatewayOptions> gateway)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string BearerPrefix = "Bearer ";

    // Longer keys are refused before hashing: a header or a form is not a place for megabytes.
    internal const int MaxKeyLength = 512;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var keys = gateway.CurrentValue.ApiKeys;
        if (keys.Count == 0)
        {
            var anonymous = Principal(GatewayIdentity.AnonymousName, tenant: null, [GatewayIdentity.UserRole, GatewayIdentity.AdminRole], Scheme.Name);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(anonymous, Scheme.Name)));
        }

        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header is not 'Bearer <API key>'."));
        }

        if (Find(keys, header.AsSpan(BearerPrefix.Length)) is { } name)
        {
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Principal(name, keys[name], Scheme.Name), Scheme.Name)));
        }

        LogUnknownKey(Logger);
        return Task.FromResult(AuthenticateResult.Fail("The API key is not known (or was revoked)."));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    /// <summary>The SHA-256 of <paramref name="key"/> as lower-case hex, as <c>Gateway:ApiKeys:&lt;name&gt;:Hash</c> holds it.</summary>
    public static string Hash(ReadOnlySpan<char> key)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key.ToArray()), digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>The name of the configured key <paramref name="key"/> is, or null when it is none of them.</summary>
    /// <remarks>
    /// The one lookup of a presented key, for the bearer header and the browser's sign-in alike: the key
    /// is trimmed, refused when empty or longer than 512 characters (before hashing: no place for megabytes),
    /// and its hash compared in fixed time with every configured hash, so how long a refusal takes says
    /// nothing about them.
    /// </remarks>
    internal static string? Find(IReadOnlyDictionary<string, ApiKeyOptions> keys, ReadOnlySpan<char> key)
    {
        ArgumentNullException.ThrowIfNull(keys);
        key = key.Trim();
        if (key.IsEmpty || key.Length > MaxKeyLength)
        {
            return null;
        }

        var hash = Encoding.ASCII.GetBytes(Hash(key));
        string? found = null;
        foreach (var (name, options) in keys)
        {
            if (options.Hash is { Length: 64 } expected
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), hash))
            {
                found ??= name;
            }
        }

        return found;
    }

    /// <summary>The caller a configured key names: its name, its tenant and its roles (<c>user</c> when it lists none).</summary>
    internal static ClaimsPrincipal Principal(string name, ApiKeyOptions key, string scheme)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Principal(name, key.Tenant, key.Roles.Count == 0 ? [GatewayIdentity.UserRole] : key.Roles, scheme);
    }

    private static ClaimsPrincipal Principal(string name, string? tenant, IEnumerable<string> roles, string scheme)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name) };
        if (tenant is not null)
        {
            claims.Add(new Claim(GatewayIdentity.TenantClaim, tenant));
        }

        claims.AddRange(roles.Select(static r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "A request's API key matched no configured key")]
    internal static partial void LogUnknownKey(ILogger logger);
}
