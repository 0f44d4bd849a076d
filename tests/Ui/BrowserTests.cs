using System.Net;
using System.Text.Json;
using AgentGrains.Tests.Gateway;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AgentGrains.Tests.Ui;

/// <summary>The run views in a real browser (headless Chromium) over the silo executable on a real port.</summary>
[Trait("Category", "Browser")]
[Trait("Provider", "Sqlite")]
public sealed class BrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private const string ResearchQuestion = "How do idempotency keys and fencing tokens keep tool calls exactly once, and how do reminders wake stalled runs?";

    private readonly HttpClient client = fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunPage_ResearchShowcase_TimelineShowsParallelSearchersThenTheAnalyst()
    {
        var page = await fixture.NewPageAsync();
        var sessionId = await client.CreateSessionAsync(agent: "research");
        using var sent = await client.SendTextAsync(sessionId, ResearchQuestion);
        var body = await GatewayHttp.ReadJsonAsync(sent);
        Assert.True(sent.StatusCode == HttpStatusCode.OK, body.ToString());
        var runId = body.GetProperty("runId").GetString()!;

        await page.GotoAsync($"/ui/runs/{Uri.EscapeDataString(runId)}");

        await Expect(page.Locator("#run-status .status")).ToHaveAttributeAsync("data-status", "completed");
        var analystBar = page.Locator(".bar[data-kind='run'][data-agent='analyst']");
        await Expect(analystBar).ToHaveCountAsync(1);
        var searcherCalls = await BarsAsync(page, ".bar[data-kind='specialist'][data-agent='searcher']");
        var analystCall = Assert.Single(await BarsAsync(page, ".bar[data-kind='specialist'][data-agent='analyst']"));
        var searcherRuns = await BarsAsync(page, ".bar[data-kind='run'][data-agent='searcher']");
        var analystRun = Assert.Single(await BarsAsync(page, ".bar[data-kind='run'][data-agent='analyst']"));

        // Three searches at once: one moment lies within all three calls, on the time axis and on the screen.
        Assert.Equal(3, searcherCalls.Count);
        Assert.True(searcherCalls.Max(static b => b.StartMs) < searcherCalls.Min(static b => b.EndMs), $"searcher calls do not overlap: {Describe(searcherCalls)}");
        Assert.True(searcherCalls.Max(static b => b.Left) < searcherCalls.Min(static b => b.Right), $"searcher bars do not overlap on screen: {Describe(searcherCalls)}");
        // The analyst is called once every search has come back, and its run starts after the searchers' runs end.
        Assert.True(analystCall.StartMs >= searcherCalls.Max(static b => b.EndMs), $"analyst call {Describe([analystCall])} starts before the searches end: {Describe(searcherCalls)}");
        Assert.True(analystCall.Left >= searcherCalls.Max(static b => b.Right) - 1, $"analyst bar {Describe([analystCall])} starts left of the searches' ends: {Describe(searcherCalls)}");
        Assert.Equal(3, searcherRuns.Count);
        Assert.True(analystRun.StartMs >= searcherRuns.Max(static b => b.EndMs), $"analyst run {Describe([analystRun])} starts before the searcher runs end: {Describe(searcherRuns)}");
        // Every run lies within the manager run.
        var manager = Assert.Single(await BarsAsync(page, ".bar[data-kind='run'][data-agent='research']"));
        Assert.Equal(0, manager.StartMs, 3);
        Assert.All(searcherRuns.Append(analystRun), b => Assert.InRange(b.EndMs, b.StartMs, manager.EndMs));
        // Each searcher's own steps are on the timeline: its model calls and its corpus searches.
        Assert.Equal(3, await page.Locator(".bar[data-kind='tool'][data-tool='corpus_search']").CountAsync());
        Assert.True(await page.Locator(".bar[data-kind='model'][data-agent='searcher']").CountAsync() >= 3);
        Assert.Equal(3, await page.Locator(".bar[data-kind='model'][data-agent='research']").CountAsync());

        await analystBar.ClickAsync();
        var details = page.Locator("#details");
        await Expect(details).ToContainTextAsync("analyst");
        await Expect(details).ToContainTextAsync("Tokens");
        await Expect(page.Locator("#summary")).ToContainTextAsync("Sources:");
        await BrowserFixture.ScreenshotAsync(page, "run-timeline.png");
    }

    [Fact]
    public async Task RunPage_CallAwaitingApproval_ApproveButtonResumesTheRunAndThePageFollowsIt()
    {
        var page = await fixture.NewPageAsync();
        var sessionId = await client.CreateSessionAsync();
        var runId = await client.StartRunAsync(sessionId, "Send a message to ada@example.com: the deploy is done");
        await client.WaitForStatusAsync(runId, "awaiting_approval");

        await page.GotoAsync($"/ui/runs/{Uri.EscapeDataString(runId)}");

        var waiting = page.Locator(".bar[data-kind='tool'][data-tool='send_message']");
        await Expect(waiting).ToHaveAttributeAsync("data-status", "awaiting_approval");
        await Expect(page.Locator("#live")).ToBeVisibleAsync();
        await Expect(page.Locator("#approvals")).ToContainTextAsync("ada@example.com");
        await page.Locator("#approvals button.approve").ClickAsync();

        // The event stream brings the rest: the call's result, the model's reply, the run's end.
        await Expect(page.Locator("#run-status .status")).ToHaveAttributeAsync("data-status", "completed");
        await Expect(waiting).ToHaveAttributeAsync("data-status", "succeeded");
        await Expect(page.Locator("#summary")).ToContainTextAsync("Your message to ada@example.com was sent.");
        await Expect(page.Locator("#live")).ToBeHiddenAsync();
        var outbox = await client.GetStringAsync("/v1/outbox", Ct);
        Assert.Contains(runId, outbox, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunPage_ToolCallFailed_BarShowsTheErrorInItsTooltipAndDetails()
    {
        var page = await fixture.NewPageAsync();
        var sessionId = await client.CreateSessionAsync();
        using (var sent = await client.SendTextAsync(sessionId, "What is 1/0?"))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        await page.GotoAsync($"/ui/runs/{sessionId}~1");

        var bar = page.Locator(".bar[data-kind='tool'][data-tool='calculator']");
        await Expect(bar).ToHaveAttributeAsync("data-status", "failed");
        // The error text comes from the run's event stream, replayed for a finished run.
        await Expect(bar).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("division by zero"));
        await bar.ClickAsync();
        await Expect(page.Locator("#details")).ToContainTextAsync("Error");
        await Expect(page.Locator("#details pre")).ToContainTextAsync("division by zero");
    }

    [Fact]
    public async Task SessionsPage_SessionCreatedThroughTheApi_ListedWithItsAgentAndLinked()
    {
        var page = await fixture.NewPageAsync();
        // Ids that sort before the other tests' sessions, so they are on the first page.
        var sessionId = await client.CreateSessionAsync($"demo-{Guid.NewGuid().ToString("N")[..8]}");
        using (var sent = await client.SendTextAsync(sessionId, "What is (2+3)*4?"))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        await client.CreateSessionAsync($"research-{Guid.NewGuid().ToString("N")[..8]}", agent: "research");

        await page.GotoAsync("/ui");

        var row = page.Locator($"#sessions tr[data-session-id='{sessionId}']");
        await Expect(row).ToContainTextAsync("assistant");
        await Expect(row.Locator(".status")).ToHaveAttributeAsync("data-status", "idle");
        await Expect(row.Locator("td.number")).ToHaveTextAsync("1");
        await BrowserFixture.ScreenshotAsync(page, "sessions.png");

        // Filtered by agent: only that agent's sessions.
        await page.Locator("#agent").SelectOptionAsync("research");
        await page.Locator("#filter button").ClickAsync();
        await page.WaitForURLAsync("**/ui?agent=research");
        await Expect(page.Locator("#sessions tbody tr").First).ToBeVisibleAsync();
        Assert.All(await page.Locator("#sessions tbody tr").AllAsync(), r => Assert.Equal("research", r.GetAttributeAsync("data-agent").GetAwaiter().GetResult()));

        await page.GotoAsync("/ui");
        await row.Locator("a").ClickAsync();
        await page.WaitForURLAsync($"**/ui/sessions/{sessionId}");
        await Expect(page.Locator("#session-id")).ToHaveTextAsync(sessionId);
    }

    [Fact]
    public async Task SessionsPage_MoreThanAPage_NextPageFollowsTheCursor()
    {
        var page = await fixture.NewPageAsync();
        var prefix = $"zpg-{Guid.NewGuid():N}";
        for (var i = 0; i < 21; i++)
        {
            await client.CreateSessionAsync($"{prefix}-{i:D2}", agent: "twenty-questions");
        }

        await page.GotoAsync("/ui?agent=twenty-questions");
        await Expect(page.Locator("#sessions tbody tr")).ToHaveCountAsync(20);
        await page.Locator("#next").ClickAsync();

        await Expect(page.Locator($"#sessions tr[data-session-id='{prefix}-20']")).ToBeVisibleAsync();
        await Expect(page.Locator("#first")).ToBeVisibleAsync();
        Assert.Contains("cursor=", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionPage_MessageSent_ShowsTheReplyAndTheRun()
    {
        var page = await fixture.NewPageAsync();
        var sessionId = await client.CreateSessionAsync();

        await page.GotoAsync($"/ui/sessions/{sessionId}");
        await Expect(page.Locator("#session-id")).ToHaveTextAsync(sessionId);
        await page.Locator("#text").FillAsync("What is (2+3)*4?");
        await page.Locator("#send-button").ClickAsync();

        await Expect(page.Locator(".message[data-role='assistant']").Last).ToContainTextAsync("The answer is 20.");
        await Expect(page.Locator(".message[data-role='tool']")).ToContainTextAsync("20");
        await Expect(page.Locator(".message[data-role='user']")).ToContainTextAsync("What is (2+3)*4?");
        var run = page.Locator($"#runs tr[data-run-id='{sessionId}~1']");
        await Expect(run).ToHaveAttributeAsync("data-status", "completed");
        await Expect(page.Locator("#sending")).ToBeEmptyAsync();
        await BrowserFixture.ScreenshotAsync(page, "session.png");

        await run.Locator("a").ClickAsync();
        await page.WaitForURLAsync($"**/ui/runs/{sessionId}~1");
        await Expect(page.Locator(".bar[data-kind='tool'][data-tool='calculator']")).ToHaveAttributeAsync("data-status", "succeeded");
    }

    [Fact]
    public async Task Dashboard_Page_RendersTheOrleansDashboard()
    {
        var page = await fixture.NewPageAsync();

        await page.GotoAsync("/dashboard");

        await Expect(page).ToHaveTitleAsync("Orleans Dashboard");
        // Its counters arrive a moment after the page: wait for the silo's row before the picture.
        await page.WaitForTimeoutAsync(3000);
        await BrowserFixture.ScreenshotAsync(page, "dashboard.png");
    }

    private static async Task<List<Bar>> BarsAsync(IPage page, string selector)
    {
        var bars = await page.EvaluateAsync<JsonElement>(
            """
            (selector) => [...document.querySelectorAll(selector)].map((bar) => {
              const box = bar.getBoundingClientRect();
              return { startMs: Number(bar.dataset.startMs), endMs: Number(bar.dataset.endMs), left: box.left, right: box.right, runId: bar.dataset.runId };
            })
            """,
            selector);
        return [.. bars.EnumerateArray().Select(static b => new Bar(
            b.GetProperty("runId").GetString()!,
            b.GetProperty("startMs").GetDouble(),
            b.GetProperty("endMs").GetDouble(),
            b.GetProperty("left").GetDouble(),
            b.GetProperty("right").GetDouble()))];
    }

    private static string Describe(IEnumerable<Bar> bars) => string.Join("; ", bars);

    private sealed record Bar(string RunId, double StartMs, double EndMs, double Left, double Right);
}
