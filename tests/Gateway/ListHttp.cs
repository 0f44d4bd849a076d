using System.Net;
using System.Text.Json;

namespace AgentGrains.Tests.Gateway;

/// <summary>Reads of the list endpoints, against raw JSON.</summary>
public static class ListHttp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>GETs <paramref name="path"/>, asserts 200 and returns the body.</summary>
    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200 for GET {path}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Follows <c>next</c> from the first page of <paramref name="path"/> to the last; returns every page's items (property <paramref name="items"/>).</summary>
    public static async Task<List<List<JsonElement>>> AllPagesAsync(this HttpClient client, string path, string items)
    {
        var pages = new List<List<JsonElement>>();
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        string? cursor = null;
        do
        {
            var page = await client.GetJsonAsync(cursor is null ? path : $"{path}{separator}cursor={Uri.EscapeDataString(cursor)}");
            pages.Add([.. page.GetProperty(items).EnumerateArray()]);
            cursor = page.GetProperty("next").GetString();
            Assert.True(pages.Count < 1000, $"GET {path} never reaches a last page");
        }
        while (cursor is not null);
        return pages;
    }
}
