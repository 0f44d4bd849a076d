using System.Text;
using AgentGrains.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Tests.Fault;

/// <summary>
/// A webhook endpoint on real Kestrel (loopback, a free port) that deduplicates by the
/// <c>Idempotency-Key</c> header as a payment provider does: every POST is recorded as an attempt,
/// the effect is applied the first time a key is seen, and a later attempt with the same key gets
/// the stored answer without a second effect.
/// </summary>
/// <remarks>
/// With <see cref="Hold"/> the very first attempt is not answered until <see cref="ReleaseHeld"/>,
/// either before or after its effect is applied (<see cref="WebhookHold"/>). Disposing releases a
/// held attempt and stops the server.
/// </remarks>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private const string HookPath = "/hooks/notify";

    private readonly Lock gate = new();
    private readonly List<(string Key, string Body)> attempts = [];
    private readonly Dictionary<string, string> effects = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stopping = new();
    private WebApplication? app;
    private bool disposed;

    private WebhookReceiver()
    {
    }

    /// <summary>The URL to configure as <c>Tools:Notify:Url</c>; a loopback one, so <c>Tools:Notify:AllowPrivateNetworks=true</c> goes with it.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Whether, and at which point, the first attempt is held until <see cref="ReleaseHeld"/>.</summary>
    public WebhookHold Hold { get; set; }

    /// <summary>Every POST received so far, in arrival order: its idempotency key (empty when absent) and body.</summary>
    public IReadOnlyList<(string Key, string Body)> Attempts
    {
        get
        {
            lock (gate)
            {
                return [.. attempts];
            }
        }
    }

    /// <summary>The effects applied, by idempotency key: the body of the attempt that applied each.</summary>
    public IReadOnlyDictionary<string, string> Effects
    {
        get
        {
            lock (gate)
            {
                return new Dictionary<string, string>(effects, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Starts a receiver on a free loopback port.</summary>
    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost(HookPath, receiver.HandleAsync);
        await app.StartAsync();
        receiver.app = app;
        receiver.Url = new Uri(app.Urls.First().TrimEnd('/') + HookPath);
        return receiver;
    }

    /// <summary>Waits until the first attempt is being held (see <see cref="Hold"/>); returns its key.</summary>
    /// <exception cref="TimeoutException">No attempt arrived within <paramref name="timeout"/>.</exception>
    public async Task<string> WaitUntilHeldAsync(TimeSpan timeout)
    {
        try
        {
            await held.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The webhook receiver expected a first notify attempt to hold within {timeout.TotalSeconds:0.#} s but received {Attempts.Count}.");
        }

        return Attempts[0].Key;
    }

    /// <summary>Waits until at least <paramref name="count"/> attempts have arrived.</summary>
    /// <exception cref="TimeoutException">Fewer arrived within <paramref name="timeout"/>.</exception>
    public Task WaitForAttemptsAsync(int count, TimeSpan timeout) =>
        Eventually.TrueAsync(
            () => Task.FromResult(Attempts.Count >= count),
            timeout,
            $"the webhook receiver has {count} attempts");

    /// <summary>Lets the held attempt end (its caller is gone by then; nothing is answered).</summary>
    public void ReleaseHeld() => released.TrySetResult();

    /// <summary>Releases a held attempt and stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        ReleaseHeld();
        await stopping.CancelAsync();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var key = context.Request.Headers["Idempotency-Key"].ToString();
        WebhookHold hold;
        bool replayed;
        lock (gate)
        {
            attempts.Add((key, body));
            hold = attempts.Count == 1 ? Hold : WebhookHold.None;
            // Applied once per key; an attempt without a key cannot be deduplicated and always applies.
            replayed = key.Length > 0 && effects.ContainsKey(key);
            if (!replayed && hold != WebhookHold.BeforeEffect)
            {
                effects[key.Length > 0 ? key : $"(no key #{attempts.Count})"] = body;
            }
        }

        if (hold != WebhookHold.None)
        {
            held.TrySetResult();
            try
            {
                await released.Task.WaitAsync(stopping.Token);
            }
            catch (OperationCanceledException)
            {
                // The receiver is stopping: nobody is waiting for this answer.
            }

            context.Abort();
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers["Idempotent-Replayed"] = replayed ? "true" : "false";
        await context.Response.WriteAsJsonAsync(new { received = true, replayed }, context.RequestAborted);
    }
}
