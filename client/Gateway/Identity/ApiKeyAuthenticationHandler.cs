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

    // Longer keys are refused before hashing: a header is not a place for megabytes.
    private const int MaxKeyLength = 512;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var keys = gateway.CurrentValue.ApiKeys;
        if (keys.Count == 0)
        {
            return Task.FromResult(Success(GatewayIdentity.AnonymousName, tenant: null, [GatewayIdentity.UserRole, GatewayIdentity.AdminRole]));
        }

        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) || header.Length - BearerPrefix.Length is 0 or > MaxKeyLength)
        {
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header is not 'Bearer <API key>'."));
        }

        var hash = Hash(header.AsSpan(BearerPrefix.Length).Trim());
        foreach (var (name, key) in keys)
        {
            // Fixed-time over every key: how long a refusal takes says nothing about the hashes.
            if (key.Hash is { Length: 64 } expected
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(hash)))
            {
                var roles = key.Roles.Count == 0 ? [GatewayIdentity.UserRole] : key.Roles;
                return Task.FromResult(Success(name, key.Tenant, roles));
            }
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

    private AuthenticateResult Success(string name, string? tenant, IEnumerable<string> roles)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name) };
        if (tenant is not null)
        {
            claims.Add(new Claim(GatewayIdentity.TenantClaim, tenant));
        }

        claims.AddRange(roles.Select(static r => new Claim(ClaimTypes.Role, r)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name)), Scheme.Name));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "A request's API key matched no configured key")]
    private static partial void LogUnknownKey(ILogger logger);
}
