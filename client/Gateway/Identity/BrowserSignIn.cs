using AgentGrains.Client.Ui;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentGrains.Client.Gateway.Identity;

/// <summary>A browser signed in with an API key: ASP.NET Core's cookie scheme beside the bearer key, and the scheme that picks one.</summary>
/// <remarks>
/// <para>A browser that navigates to <c>/ui</c> or <c>/dashboard</c> cannot send <c>Authorization: Bearer</c>, so
/// <c>/ui/login</c> takes the key in a form, checks it as the bearer handler does (<see cref="ApiKeyAuthenticationHandler.Find"/>)
/// and signs in with a cookie carrying the same claims: HttpOnly, SameSite=Strict, Secure over HTTPS, expiring after
/// 8 hours without use. The cookie remembers its key's hash, and every request checks it against the configuration:
/// a key removed or given a new secret signs its browsers out, and a changed tenant or role applies at once.</para>
/// <para>The default scheme forwards to the cookie only when a request brings no <c>Authorization</c> header and
/// either brings the cookie or is a browser asking for a page (<see cref="IsBrowserPage"/>); everything else is the
/// API key's, so an open gateway (no keys) stays open exactly as before. Only a browser's page is redirected to
/// the sign-in page: an API call without a valid key or cookie gets 401 with <c>WWW-Authenticate: Bearer</c>,
/// and a caller without the admin role 403, never a redirect.</para>
/// <para>The API's state-changing requests accept the cookie without an antiforgery token: SameSite=Strict keeps
/// the browser from sending it with any request another site starts, and the API reads JSON bodies only.</para>
/// </remarks>
internal static class BrowserSignIn
{
    /// <summary>How long a signed-in browser stays signed in without a request.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(8);

    // The key's hash, in the cookie's encrypted ticket: the key the browser signed in with must still be configured.
    private const string HashItem = "agentgrains.key-hash";

    private static readonly string[] PagePrefixes = [UiEndpoints.Prefix, Dashboard.DashboardHostingExtensions.RoutePrefix];

    /// <summary>Adds the cookie scheme and the default scheme that forwards to it or to the API key.</summary>
    public static AuthenticationBuilder AddBrowserSignIn(this AuthenticationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPolicyScheme(GatewayIdentity.DefaultScheme, displayName: null, static options => options.ForwardDefaultSelector = static context =>
            context.Request.Headers.Authorization.Count == 0
            && context.RequestServices.GetRequiredService<IOptionsMonitor<GatewayOptions>>().CurrentValue.ApiKeys.Count > 0
            && (context.Request.Cookies.ContainsKey(GatewayIdentity.CookieName) || IsBrowserPage(context.Request))
                ? GatewayIdentity.CookieScheme
                : GatewayIdentity.Scheme);
        builder.AddCookie(GatewayIdentity.CookieScheme, static options =>
        {
            options.Cookie.Name = GatewayIdentity.CookieName;
            options.Cookie.Path = "/";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
            options.ExpireTimeSpan = IdleTimeout;
            options.SlidingExpiration = true;
            options.LoginPath = UiSignInEndpoints.LoginPath;
            options.ReturnUrlParameter = UiSignInEndpoints.ReturnUrlParameter;
            options.Events = new CookieAuthenticationEvents
            {
                OnRedirectToLogin = static context =>
                {
                    if (IsBrowserPage(context.Request))
                    {
                        // Relative: right behind a proxy that rewrites the host or the scheme.
                        var request = context.Request;
                        var back = request.PathBase + request.Path + request.QueryString;
                        context.Response.Redirect(request.PathBase + UiSignInEndpoints.LoginPath + QueryString.Create(UiSignInEndpoints.ReturnUrlParameter, back));
                    }
                    else
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.Response.Headers.WWWAuthenticate = "Bearer";
                    }

                    return Task.CompletedTask;
                },
                OnRedirectToAccessDenied = static context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                },
                OnValidatePrincipal = static async context =>
                {
                    var keys = context.HttpContext.RequestServices.GetRequiredService<IOptionsMonitor<GatewayOptions>>().CurrentValue.ApiKeys;
                    if (context.Principal?.Identity?.Name is not { } name
                        || !keys.TryGetValue(name, out var key)
                        || !context.Properties.Items.TryGetValue(HashItem, out var hash)
                        || !string.Equals(hash, key.Hash, StringComparison.Ordinal))
                    {
                        context.RejectPrincipal();
                        await context.HttpContext.SignOutAsync(GatewayIdentity.CookieScheme);
                        return;
                    }

                    // The key's tenant and roles as configured now, not as they were at sign-in.
                    context.ReplacePrincipal(ApiKeyAuthenticationHandler.Principal(name, key, GatewayIdentity.CookieScheme));
                },
            };
        });
        return builder;
    }

    /// <summary>Signs the browser in as the configured key <paramref name="name"/>.</summary>
    public static Task SignInAsync(HttpContext context, string name, ApiKeyOptions key, string redirectUri)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(key);
        var properties = new AuthenticationProperties { RedirectUri = redirectUri, AllowRefresh = true };
        properties.Items[HashItem] = key.Hash;
        return context.SignInAsync(GatewayIdentity.CookieScheme, ApiKeyAuthenticationHandler.Principal(name, key, GatewayIdentity.CookieScheme), properties);
    }

    /// <summary>Whether a request is a browser navigating to a page of <c>/ui</c> or <c>/dashboard</c>: a GET that accepts HTML.</summary>
    public static bool IsBrowserPage(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && Array.Exists(PagePrefixes, prefix => request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            && request.GetTypedHeaders().Accept.Any(static accept => accept.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
    }
}
