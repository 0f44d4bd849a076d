using AgentGrains.Tests.Gateway;
using AgentGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace AgentGrains.Tests.Ui;

/// <summary>
/// The silo executable listening on a real loopback port, and a headless Chromium to browse it with.
/// </summary>
/// <remarks>
/// The browser is the system's Chromium (<c>AGENTGRAINS_TEST_CHROMIUM</c>, or <c>chromium</c> / <c>chromium-browser</c>
/// on PATH), driven by Playwright's driver from the build output; nothing is downloaded. Without a Chromium
/// the browser tests are skipped, except under <c>CI=true</c>, where they fail.
/// </remarks>
public class BrowserFixture : IAsyncLifetime
{
    private static readonly string[] ChromiumNames = ["chromium", "chromium-browser"];

    private readonly StorageUnderTest storage = StorageUnderTest.Sqlite();
    private readonly IReadOnlyDictionary<string, string?>? settings;
    private IPlaywright? playwright;

    public GatewayApp App { get; private set; } = null!;

    /// <summary>Where the silo's HTTP API and pages listen.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>An HTTP client of <see cref="Address"/>.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The browser, or null when no Chromium is installed (see <see cref="Unavailable"/>).</summary>
    public IBrowser? Browser { get; private set; }

    /// <summary>Why there is no browser.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Where screenshots are written: beside the test assembly.</summary>
    public static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>The silo executable as it runs by default: open, on loopback.</summary>
    public BrowserFixture()
    {
    }

    /// <summary>The silo executable with <paramref name="settings"/> laid over its configuration.</summary>
    protected BrowserFixture(IReadOnlyDictionary<string, string?> settings) => this.settings = settings;

    public async ValueTask InitializeAsync()
    {
        await storage.InitializeAsync();
        // A browser needs a real socket: Kestrel on a free loopback port instead of the in-memory server.
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["urls"] = "http://127.0.0.1:0" };
        App = new GatewayApp(storage, all);
        App.UseKestrel();
        App.StartServer();
        var addresses = App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        Address = new Uri(addresses.First());
        Client = new HttpClient { BaseAddress = Address };

        if (FindChromium() is not { } chromium)
        {
            Unavailable = "no Chromium found (install Debian's chromium package, or set AGENTGRAINS_TEST_CHROMIUM to a Chromium executable)";
            return;
        }

        // The driver ships in the build output; browsers are never downloaded.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Containers and root users have no sandbox to give Chromium.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A new page in a fresh context; skips the test when there is no browser (fails under CI=true).</summary>
    public async Task<IPage> NewPageAsync()
    {
        if (Browser is null)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"The browser tests need Chromium under CI=true: {Unavailable}.");
            }

            Assert.Skip($"Skipped: {Unavailable}.");
        }

        var context = await Browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Saves a full-page screenshot under <see cref="ScreenshotDirectory"/> and attaches it to the test's results.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name);
        var image = await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.AddAttachment(name, image, "image/png");
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        Client?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        await storage.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private static string? FindChromium()
    {
        if (Environment.GetEnvironmentVariable("AGENTGRAINS_TEST_CHROMIUM") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return (from directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin")
                from name in ChromiumNames
                let file = Path.Combine(directory, name)
                where File.Exists(file)
                select file).FirstOrDefault();
    }
}
