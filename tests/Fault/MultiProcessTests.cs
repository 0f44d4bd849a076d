using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentGrains.Tests.Infrastructure;

namespace AgentGrains.Tests.Fault;

/// <summary>Silos and a standalone gateway as separate OS processes over one PostgreSQL database.</summary>
[Trait("Category", "Fault")]
[Trait("Provider", "Postgres")]
public sealed class MultiProcessTests : IAsyncLifetime
{
    private readonly StorageUnderTest storage = StorageUnderTest.Postgres();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(storage.InitializeAsync());

    public ValueTask DisposeAsync() => storage.DisposeAsync();

    [Fact]
    public async Task KillNineOfASilo_UnderLoadThroughTheGateway_NothingLostOrDoubled()
    {
        var settings = new Dictionary<string, string?>(storage.Settings)
        {
            ["Silo:HeartbeatInterval"] = "00:00:00.500",
            ["Silo:DeathTimeout"] = "00:00:03",
            ["Storage:FlushEachCommit"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        await using var silo1 = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        await using var silo2 = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        await using var silo3 = await NodeProcess.StartAsync("AgentGrains.Silo.dll", settings, Ct);
        await using var gateway = await NodeProcess.StartAsync("AgentGrains.Client.dll", settings, Ct);
        using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(60) };
        // Sessions placed on the silos directly (each lands where it is first called), then used through the gateway.
        var sessions = new List<string>();
        foreach (var (silo, n) in new[] { (silo1, 1), (silo2, 2), (silo3, 3) })
        {
            using var direct = new HttpClient { BaseAddress = silo.Address };
            for (var i = 0; i < 4; i++)
            {
                var id = $"s{n}-{i}";
                using var created = await direct.PostAsJsonAsync("/v1/sessions", new { agent = "assistant", sessionId = id }, Ct);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                sessions.Add(id);
            }
        }

        var acknowledged = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        var sent = 0;
        var load = Task.WhenAll(Enumerable.Range(0, 6).Select(async client =>
        {
            for (var i = 0; i < 15; i++)
            {
                var session = sessions[(client * 15 + i) % sessions.Count];
                var text = $"note c{client}-{i}";
                // Clients retry with the same Idempotency-Key until acknowledged: at most once, never lost.
                while (true)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sessions/{session}/messages") { Content = JsonContent.Create(new { text }) };
                    request.Headers.Add("Idempotency-Key", $"c{client}-{i}");
                    using var response = await http.SendAsync(request, Ct);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged.GetOrAdd(session, _ => []).Add(text);
                        Interlocked.Increment(ref sent);
                        break;
                    }

                    Assert.True((int)response.StatusCode >= 500, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
                }
            }
        }));
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref sent) >= 20), TimeSpan.FromSeconds(60), "20 messages acknowledged before the kill");
        silo3.Kill();
        await load.WaitAsync(TimeSpan.FromSeconds(120), Ct);

        foreach (var session in sessions)
        {
            using var response = await http.GetAsync($"/v1/sessions/{session}", Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {session}: {response.StatusCode}\n{silo1.Output}\n{gateway.Output}");
            var history = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("history").EnumerateArray()
                .Where(e => e.GetProperty("role").GetString() == "user")
                .Select(e => e.GetProperty("content").GetString()!)
                .ToList();
            var expected = acknowledged.TryGetValue(session, out var texts) ? texts.Order().ToList() : [];
            Assert.Equal(expected, history.Order().ToList());
        }
    }
}
