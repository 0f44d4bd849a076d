using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using AgentGrains.Tests.Gateway;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Ui;

/// <summary>The run views' files over HTTP: which page each address serves, with which headers.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class UiPagesTests(GatewayFixture.Sqlite fixture) : IClassFixture<GatewayFixture.Sqlite>
{
    private readonly HttpClient client = fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/ui", "/ui/assets/sessions.js")]
    [InlineData("/ui/", "/ui/assets/sessions.js")]
    [InlineData("/ui/sessions/demo", "/ui/assets/session.js")]
    [InlineData("/ui/runs/demo~2", "/ui/assets/run.js")]
    [InlineData("/ui/runs/research-demo~1.1.0~1", "/ui/assets/run.js")]
    public async Task Page_Address_ServesItsHtmlWithItsScriptAndAContentSecurityPolicy(string path, string script)
    {
        using var response = await client.GetAsync(path, Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"<script type=\"module\" src=\"{script}\"></script>", body, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Theory]
    [InlineData("common.js", "text/javascript")]
    [InlineData("sessions.js", "text/javascript")]
    [InlineData("session.js", "text/javascript")]
    [InlineData("run.js", "text/javascript")]
    [InlineData("app.css", "text/css")]
    public async Task Asset_Known_ServedWithItsContentType(string name, string contentType)
    {
        using var response = await client.GetAsync($"/ui/assets/{name}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Asset_SameETagAgain_Returns304()
    {
        using var first = await client.GetAsync("/ui/assets/run.js", Ct);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/ui/assets/run.js");
        request.Headers.IfNoneMatch.Add(etag);
        using var again = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Theory]
    [InlineData("/ui/assets/missing.js")]
    [InlineData("/ui/assets/..%2Fclient.dll")]
    [InlineData("/ui/elsewhere")]
    public async Task Asset_Unknown_Returns404Problem(string path)
    {
        using var response = await client.GetAsync(path, Ct);

        await GatewayHttp.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OpenApi_Document_LeavesThePagesOut()
    {
        var document = await client.GetStringAsync("/openapi/v1.json", Ct);

        Assert.DoesNotContain("\"/ui", document, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task Page_StandaloneGatewayProcess_ServesTheSamePages()
    {
        await using var gateway = await NodeProcess.StartGatewayAsync(
            new Dictionary<string, string?>
            {
                ["Orleans:GatewayPort"] = fixture.App.GatewayPort.ToString(CultureInfo.InvariantCulture),
                ["Logging:LogLevel:Default"] = "Warning",
            },
            Ct);
        using var http = new HttpClient { BaseAddress = gateway.Address };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        using var page = await http.GetAsync("/ui/runs/demo~1", Ct);
        using var script = await http.GetAsync("/ui/assets/run.js", Ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("/ui/assets/run.js", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
    }
}
