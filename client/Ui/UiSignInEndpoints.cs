using System.Net;
using AgentGrains.Client.Gateway;
using AgentGrains.Client.Gateway.Identity;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentGrains.Client.Ui;

/// <summary>
/// Signing a browser in with an API key (<c>GET</c>/<c>POST /ui/login</c>) and out (<c>POST /ui/logout</c>),
/// for the pages a browser cannot send a bearer key to: the run views and the dashboard.
/// </summary>
/// <remarks>
/// The form is checked with ASP.NET Core's antiforgery token (the page carries it, its cookie is SameSite=Strict),
/// and the key as the bearer handler checks it; a known key signs in with <see cref="BrowserSignIn"/>'s cookie,
/// a wrong one gets the page again with 401 and nothing set. An open gateway (no keys) has nothing to sign in to:
/// both go straight on. Signing out needs no token: the worst another site could do with it is sign a browser out.
/// </remarks>
internal static class UiSignInEndpoints
{
    /// <summary>The sign-in page.</summary>
    public const string LoginPath = UiEndpoints.Prefix + "/login";

    /// <summary>Where signing out posts.</summary>
    public const string LogoutPath = UiEndpoints.Prefix + "/logout";

    /// <summary>The query parameter naming the local address to go back to once signed in.</summary>
    public const string ReturnUrlParameter = "returnUrl";

    private const string ErrorPlaceholder = "<!--error-->";

    private const string TokenPlaceholder = "<!--antiforgery-->";

    private static readonly ManifestEmbeddedFileProvider Files = new(typeof(UiSignInEndpoints).Assembly, "Ui/Assets");

    private static readonly Lazy<string> Page = new(static () =>
    {
        using var reader = new StreamReader(Files.GetFileInfo("login.html").CreateReadStream());
        return reader.ReadToEnd();
    });

    public static IEndpointRouteBuilder MapUiSignInEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(UiEndpoints.Prefix).ExcludeFromDescription().AllowAnonymous();
        group.MapGet("/login", ShowLogin);
        group.MapPost("/login", LoginAsync);
        group.MapPost("/logout", LogoutAsync);
        return routes;
    }

    private static IResult ShowLogin(HttpContext context, IAntiforgery antiforgery, IOptionsMonitor<GatewayOptions> gateway, [FromQuery] string? returnUrl) =>
        gateway.CurrentValue.ApiKeys.Count == 0
            ? TypedResults.Redirect(Target(returnUrl))
            : Render(context, antiforgery, error: null, StatusCodes.Status200OK);

    private static async Task<IResult> LoginAsync(
        HttpContext context,
        IAntiforgery antiforgery,
        IOptionsMonitor<GatewayOptions> gateway,
        ILoggerFactory loggers,
        [FromForm] string? key,
        [FromQuery] string? returnUrl)
    {
        var target = Target(returnUrl);
        var keys = gateway.CurrentValue.ApiKeys;
        if (keys.Count == 0)
        {
            return TypedResults.Redirect(target);
        }

        if (ApiKeyAuthenticationHandler.Find(keys, key) is not { } name)
        {
            var logger = loggers.CreateLogger(typeof(UiSignInEndpoints));
            ApiKeyAuthenticationHandler.LogUnknownKey(logger);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Render(context, antiforgery, "That API key is not known (or was revoked). Sign in with a key this gateway's operator configured.", StatusCodes.Status401Unauthorized);
        }

        await BrowserSignIn.SignInAsync(context, name, keys[name], target);
        return TypedResults.Redirect(target);
    }

    private static async Task LogoutAsync(HttpContext context)
    {
        await context.SignOutAsync(GatewayIdentity.CookieScheme);
        context.Response.Redirect(context.Request.PathBase + LoginPath);
    }

    private static ContentHttpResult Render(HttpContext context, IAntiforgery antiforgery, string? error, int statusCode)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var html = Page.Value
            .Replace(TokenPlaceholder, $"<input type=\"hidden\" name=\"{WebUtility.HtmlEncode(tokens.FormFieldName)}\" value=\"{WebUtility.HtmlEncode(tokens.RequestToken)}\">", StringComparison.Ordinal)
            .Replace(ErrorPlaceholder, error is null ? string.Empty : $"<p id=\"alert\" class=\"alert\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>", StringComparison.Ordinal);
        var headers = context.Response.Headers;
        // The page carries a token: never stored.
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = UiEndpoints.ContentSecurityPolicy;
        return TypedResults.Content(html, "text/html; charset=utf-8", statusCode: statusCode);
    }

    /// <summary>Where to go once signed in: <paramref name="returnUrl"/> when it is an address on this site, else the sessions list.</summary>
    private static string Target(string? returnUrl) =>
        returnUrl is { Length: > 0 }
        && returnUrl[0] == '/'
        && (returnUrl.Length == 1 || returnUrl[1] is not ('/' or '\\'))
        && !returnUrl.Any(char.IsControl)
            ? returnUrl
            : UiEndpoints.Prefix;
}
