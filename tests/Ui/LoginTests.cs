using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using AgentGrains.Client.Gateway.Identity;
using AgentGrains.Tests.Gateway;
using AgentGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentGrains.Tests.Ui;

/// <summary>Signing a browser in with an API key at <c>/ui/login</c>: the cookie it gets, what it reaches, and what never redirects.</summary>
[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed partial class LoginTests(LoginTests.KeyedGateway fixture) : IClassFixture<LoginTests.KeyedGateway>
{
    public static readonly string AdminKey = SecretWatch.Register("LoginTests.AdminKey", "admin-key-0123456789");
    public static readonly string UserKey = SecretWatch.Register("LoginTests.UserKey", "user-key-0123456789");

    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The gateway's settings with an admin key (<c>ops</c>) and a user key (<c>app</c>).</summary>
    public static Dictionary<string, string?> KeySettings() => new()
    {
        ["Gateway:ApiKeys:ops:Hash"] = ApiKeyAuthenticationHandler.Hash(AdminKey),
        ["Gateway:ApiKeys:ops:Tenant"] = "acme",
        ["Gateway:ApiKeys:ops:Roles:0"] = "admin",
        ["Gateway:ApiKeys:ops:Roles:1"] = "user",
        ["Gateway:ApiKeys:app:Hash"] = ApiKeyAuthenticationHandler.Hash(UserKey),
        ["Gateway:ApiKeys:app:Tenant"] = "acme",
    };

    [Theory]
    [InlineData("/ui", "/ui/login?returnUrl=%2Fui")]
    [InlineData("/ui/runs/demo~1?x=1", "/ui/login?returnUrl=%2Fui%2Fruns%2Fdemo~1%3Fx%3D1")]
    [InlineData("/dashboard", "/ui/login?returnUrl=%2Fdashboard")]
    public async Task Page_BrowserNotSignedIn_RedirectedToTheLoginPage(string path, string login)
    {
        using var browser = Browser();

        using var response = await browser.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(login, response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("/v1/sessions", BrowserAccept)]
    [InlineData("/v1/cluster", BrowserAccept)]
    [InlineData("/ui", "application/json")]
    [InlineData("/dashboard/DashboardCounters", "application/json")]
    public async Task Request_NotABrowsersPage_Is401AskingForABearerKey_NeverARedirect(string path, string accept)
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.TryAddWithoutValidation("Accept", accept);

        using var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Api_CookieThatIsNotOurs_Is401NotARedirect()
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.TryAddWithoutValidation("Cookie", $"{GatewayIdentity.CookieName}=forged");

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = "forged-cookie" }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task LoginPage_NotSignedIn_ServesTheFormWithItsToken()
    {
        using var browser = Browser();

        using var response = await browser.GetAsync("/ui/login?returnUrl=%2Fui", Ct);

        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("type=\"password\"", html, StringComparison.Ordinal);
        Assert.NotEmpty(Token(html));
        Assert.Contains("form-action 'self'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.DoesNotContain("role=\"alert\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_WrongKey_Is401WithThePageAgainAndNoCookie()
    {
        using var browser = Browser();

        using var response = await LoginAsync(browser, "not-a-key-anyone-has");

        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("not known", html, StringComparison.Ordinal);
        Assert.NotEmpty(Token(html));
        Assert.Null(AuthCookie(response));
        using var page = await browser.GetAsync("/ui", Ct);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
    }

    [Fact]
    public async Task Login_NoAntiforgeryToken_Is400AndSetsNoCookie()
    {
        using var browser = Browser();

        using var response = await browser.PostAsync("/ui/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AdminKey }), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(AuthCookie(response));
    }

    [Fact]
    public async Task Login_AdminKey_StrictHttpOnlyCookieThenPagesDashboardAndApi()
    {
        using var browser = Browser();

        using var login = await LoginAsync(browser, AdminKey, "?returnUrl=%2Fui%2Fsessions%2Fdemo");

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/ui/sessions/demo", login.Headers.Location?.OriginalString);
        var cookie = AuthCookie(login);
        Assert.NotNull(cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        // Over plain HTTP (the test host's) the cookie cannot be Secure; over HTTPS it is (below).
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        foreach (var path in new[] { "/ui", "/ui/sessions/demo", "/dashboard/", "/v1/sessions", "/v1/cluster" })
        {
            using var response = await browser.GetAsync(path, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
        }

        // The pages' scripts post JSON with the cookie alone (SameSite=Strict keeps other sites from doing so).
        using var created = await browser.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = $"cookie-{Guid.NewGuid():N}" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task Login_OverHttps_CookieIsSecure()
    {
        using var browser = Browser(new Uri("https://localhost"));

        using var login = await LoginAsync(browser, AdminKey);

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Contains("secure", AuthCookie(login), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("?returnUrl=https%3A%2F%2Fevil.example%2F")]
    [InlineData("?returnUrl=%2F%2Fevil.example%2F")]
    [InlineData("?returnUrl=%2F%5Cevil.example%2F")]
    [InlineData("")]
    public async Task Login_ReturnUrlNotLocal_RedirectsToTheSessionsList(string query)
    {
        using var browser = Browser();

        using var login = await LoginAsync(browser, AdminKey, query);

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/ui", login.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Login_UserKey_SignsInButThePagesAre403()
    {
        using var browser = Browser();

        using var login = await LoginAsync(browser, UserKey);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.NotNull(AuthCookie(login));

        foreach (var path in new[] { "/ui", "/dashboard/" })
        {
            using var refused = await browser.GetAsync(path, Ct);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{path}: {refused.StatusCode}");
            Assert.Null(refused.Headers.Location);
        }

        using var sessions = await browser.GetAsync("/v1/sessions", Ct);
        Assert.Equal(HttpStatusCode.OK, sessions.StatusCode);
    }

    [Fact]
    public async Task Logout_ClearsTheCookie_AndThePagesRedirectAgain()
    {
        using var browser = Browser();
        using (var login = await LoginAsync(browser, AdminKey))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        using var logout = await browser.PostAsync("/ui/logout", content: null, Ct);

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("/ui/login", logout.Headers.Location?.OriginalString);
        var cleared = AuthCookie(logout);
        Assert.NotNull(cleared);
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
        using var page = await browser.GetAsync("/ui", Ct);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        using var api = await browser.GetAsync("/v1/sessions", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task OpenGateway_PagesNeedNoSignIn_AndTheLoginPageGoesStraightOn()
    {
        await using var open = new OwnGateway();
        await open.InitializeAsync();
        using var browser = Browser(app: open.App);

        using var page = await browser.GetAsync("/ui", Ct);
        using var login = await browser.GetAsync("/ui/login?returnUrl=%2Fui%2Fruns%2Fdemo~1", Ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/ui/runs/demo~1", login.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Cookie_KeyGivenANewSecretOrRemoved_SignsTheBrowserOut()
    {
        await using var keyed = new OwnGateway(KeySettings());
        await keyed.InitializeAsync();
        var configuration = (IConfigurationRoot)keyed.App.Services.GetRequiredService<IConfiguration>();
        using var admin = Browser(app: keyed.App);
        using var user = Browser(app: keyed.App);
        using (var login = await LoginAsync(admin, AdminKey))
        using (var userLogin = await LoginAsync(user, UserKey))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            Assert.Equal(HttpStatusCode.Redirect, userLogin.StatusCode);
        }

        // The user key gains the admin role: its signed-in browser has it at once.
        configuration["Gateway:ApiKeys:app:Roles:0"] = "admin";
        // The admin key gets a new secret: browsers signed in with the old one are signed out.
        configuration["Gateway:ApiKeys:ops:Hash"] = ApiKeyAuthenticationHandler.Hash("a-new-admin-key-0123456789");
        configuration.Reload();

        using var promoted = await user.GetAsync("/ui", Ct);
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        using var page = await admin.GetAsync("/ui", Ct);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("expires=Thu, 01 Jan 1970", AuthCookie(page), StringComparison.OrdinalIgnoreCase);
        using var api = await admin.GetAsync("/v1/sessions", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    /// <summary>Signs in at <c>/ui/login</c> as a browser does: reads the page for its token, then posts the form.</summary>
    public static async Task<HttpResponseMessage> LoginAsync(HttpClient browser, string key, string query = "?returnUrl=%2Fui")
    {
        ArgumentNullException.ThrowIfNull(browser);
        using var page = await browser.GetAsync("/ui/login" + query, Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var token = Token(await page.Content.ReadAsStringAsync(Ct));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = key, ["__RequestVerificationToken"] = token });
        return await browser.PostAsync("/ui/login" + query, form, Ct);
    }

    private static string Token(string html) => WebUtility.HtmlDecode(TokenField().Match(html).Groups[1].Value);

    private static string? AuthCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.FirstOrDefault(static c => c.StartsWith(GatewayIdentity.CookieName + "=", StringComparison.Ordinal))
            : null;

    /// <summary>A client that navigates as a browser does: HTML accepted, cookies kept, redirects not followed.</summary>
    private HttpClient Browser(Uri? baseAddress = null, GatewayApp? app = null)
    {
        var client = (app ?? fixture.App).CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = true,
            BaseAddress = baseAddress ?? new Uri("http://localhost"),
        });
        client.DefaultRequestHeaders.TryAddWithoutValidation("Accept", BrowserAccept);
        return client;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    /// <summary>The silo executable with an admin key and a user key, shared by the tests of the class.</summary>
    public sealed class KeyedGateway : IAsyncLifetime
    {
        private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();

        public GatewayApp App { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            await storage.InitializeAsync();
            App = new GatewayApp(storage, KeySettings());
            _ = App.Server;
        }

        public async ValueTask DisposeAsync()
        {
            if (App is not null)
            {
                await App.DisposeAsync();
            }

            await storage.DisposeAsync();
        }
    }

    /// <summary>A silo executable of one test: without keys (open, as on loopback by default) unless given settings.</summary>
    private sealed class OwnGateway(Dictionary<string, string?>? settings = null) : IAsyncDisposable
    {
        private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();

        public GatewayApp App { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            await storage.InitializeAsync();
            App = new GatewayApp(storage, settings);
        }

        public async ValueTask DisposeAsync()
        {
            if (App is not null)
            {
                await App.DisposeAsync();
            }

            await storage.DisposeAsync();
        }
    }
}
