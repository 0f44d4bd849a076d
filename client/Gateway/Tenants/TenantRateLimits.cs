using System.Globalization;
using System.Threading.RateLimiting;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.GrainInterfaces.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentGrains.Client.Gateway.Tenants;

/// <summary>Per-tenant request rates (<c>Tenants:&lt;tenant&gt;:RateLimit</c>, default <c>Gateway:RateLimit</c>) with ASP.NET Core's rate limiter: a token bucket per tenant, 429 with <c>Retry-After</c> past it.</summary>
/// <remarks>
/// A request counts against the tenant of its API key (an open gateway's anonymous caller is one
/// partition of its own). Requests that need no key (probes, metrics, the API's description) are
/// never limited, so an exhausted tenant's pods still look healthy. The limits are read when a
/// tenant's bucket is made: a change applies to buckets made after it (after a restart, for a
/// tenant that was already sending).
/// </remarks>
internal static class TenantRateLimits
{
    public static void Configure(RateLimiterOptions limiter)
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(static context =>
        {
            if (context.User.Identity?.IsAuthenticated != true
                || context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null)
            {
                return RateLimitPartition.GetNoLimiter(string.Empty);
            }

            var tenant = GatewayIdentity.TenantOf(context.User) ?? string.Empty;
            var gateway = context.RequestServices.GetRequiredService<IOptionsMonitor<GatewayOptions>>().CurrentValue;
            var own = context.RequestServices.GetRequiredService<IOptionsMonitor<TenantsOptions>>().CurrentValue.For(GatewayIdentity.TenantOf(context.User)).RateLimit;
            var limit = own.PermitsPerSecond is not null ? own : gateway.RateLimit;
            if (limit.PermitsPerSecond is not { } perSecond)
            {
                return RateLimitPartition.GetNoLimiter("unlimited:" + tenant);
            }

            // Tokens are whole: a rate under one a second refills one token every 1/rate seconds.
            var period = perSecond >= 1 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(1 / perSecond);
            var perPeriod = perSecond >= 1 ? (int)Math.Round(perSecond) : 1;
            var burst = limit.Burst ?? Math.Max(1, perPeriod * 2);
            return RateLimitPartition.GetTokenBucketLimiter("tenant:" + tenant, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = perPeriod,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
        limiter.OnRejected = static (context, _) =>
        {
            var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
            context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            // The status-code pages write the problem details (their detail is in StatusCodeProblems).
            return ValueTask.CompletedTask;
        };
    }
}
