using System.Net.Http.Headers;
using AgentGrains.Tests.Gateway;
using static Microsoft.Playwright.Assertions;

namespace AgentGrains.Tests.Ui;

/// <summary>The silo executable with API keys, browsed by a headless Chromium that has to sign in.</summary>
public sealed class SignInBrowserFixture() : BrowserFixture(LoginTests.KeySettings());

/// <summary>Signing in with an API key in a real browser, and the run views working on its cookie alone.</summary>
[Trait("Category", "Browser")]
[Trait("Provider", "Sqlite")]
public sealed class SignInBrowserTests(SignInBrowserFixture fixture) : IClassFixture<SignInBrowserFixture>
{
    [Fact]
    public async Task Login_AdminKeyTyped_SignsInAndTheSessionsListShowsASessionCreatedThroughTheApi()
    {
        var page = await fixture.NewPageAsync();
        using var api = new HttpClient { BaseAddress = fixture.Address };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LoginTests.AdminKey);
        var sessionId = await api.CreateSessionAsync($"demo-{Guid.NewGuid().ToString("N")[..8]}");

        await page.GotoAsync("/ui");

        await page.WaitForURLAsync("**/ui/login?returnUrl=%2Fui");
        await page.Locator("#key").FillAsync("not-a-key-anyone-has");
        await page.Locator("#sign-in").ClickAsync();
        await Expect(page.Locator("#alert")).ToContainTextAsync("not known");
        await BrowserFixture.ScreenshotAsync(page, "login.png");
        await page.Locator("#key").FillAsync(LoginTests.AdminKey);
        await page.Locator("#sign-in").ClickAsync();

        await page.WaitForURLAsync("**/ui");
        // The list comes from /v1/sessions, fetched by the page's script with the cookie alone.
        var row = page.Locator($"#sessions tr[data-session-id='{sessionId}']");
        await Expect(row).ToContainTextAsync("assistant");
        await BrowserFixture.ScreenshotAsync(page, "signed-in.png");
        var cookie = Assert.Single(await page.Context.CookiesAsync(), static c => c.Name == Client.Gateway.Identity.GatewayIdentity.CookieName);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(Microsoft.Playwright.SameSiteAttribute.Strict, cookie.SameSite);

        // The session page sends a message through the API on the cookie too.
        await page.GotoAsync($"/ui/sessions/{sessionId}");
        await page.Locator("#text").FillAsync("What is (2+3)*4?");
        await page.Locator("#send-button").ClickAsync();
        await Expect(page.Locator(".message[data-role='assistant']").Last).ToContainTextAsync("The answer is 20.");

        await page.Locator("#sign-out").ClickAsync();
        await page.WaitForURLAsync("**/ui/login");
        await page.GotoAsync("/ui");
        await page.WaitForURLAsync("**/ui/login?returnUrl=%2Fui");
        Assert.DoesNotContain(await page.Context.CookiesAsync(), static c => c.Name == Client.Gateway.Identity.GatewayIdentity.CookieName);
    }
}
