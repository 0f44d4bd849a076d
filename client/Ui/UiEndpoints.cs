using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace AgentGrains.Client.Ui;

/// <summary>
/// The run views in the browser, under <see cref="Prefix"/>: the sessions list, a session's conversation and
/// a run's timeline. Static pages with a little JavaScript over the gateway API, embedded in this assembly.
/// </summary>
/// <remarks>
/// The pages are read from the assembly's manifest of embedded files, so a silo run from the repository,
/// a published app and a test host serve the same files, with no content root or static web assets involved.
/// Each page is the same for every id: its script reads the id from the address and calls the API.
/// </remarks>
internal static class UiEndpoints
{
    /// <summary>Where the pages are served.</summary>
    public const string Prefix = "/ui";

    // Only this origin's scripts, styles and API: the pages build their elements from API data as text.
    internal const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly ManifestEmbeddedFileProvider Files = new ManifestEmbeddedFileProvider(typeof(UiEndpoints).Assembly, "Ui/Assets");

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static IEndpointRouteBuilder MapUiEndpoints(this IEndpointRouteBuilder routes)
    {
        // Every session of every user: operators only.
        var group = routes.MapGroup(Prefix).ExcludeFromDescription().RequireAuthorization(Gateway.Identity.GatewayIdentity.AdminPolicy);
        group.MapGet(string.Empty, static (HttpContext context) => Serve(context, "index.html"));
        group.MapGet("/sessions/{id}", static (HttpContext context) => Serve(context, "session.html"));
        group.MapGet("/runs/{runId}", static (HttpContext context) => Serve(context, "run.html"));
        // The scripts and styles hold no data, and the sign-in page needs its style before anyone is signed in.
        group.MapGet("/assets/{name}", static (string name, HttpContext context) => Serve(context, name)).AllowAnonymous();
        routes.MapUiSignInEndpoints();
        return routes;
    }

    private static IResult Serve(HttpContext context, string name)
    {
        var file = Files.GetFileInfo(name);
        if (!file.Exists || file.IsDirectory || !ContentTypes.TryGetContentType(name, out var contentType))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"The run views have no file '{name}'.");
        }

        var headers = context.Response.Headers;
        // Revalidated on every load (with the ETag below), so a new version of the gateway is picked up at once.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        var etag = new EntityTagHeaderValue($"\"{file.LastModified.ToUnixTimeSeconds():x}-{file.Length:x}\"");
        return TypedResults.Stream(file.CreateReadStream(), contentType, lastModified: file.LastModified, entityTag: etag);
    }
}
