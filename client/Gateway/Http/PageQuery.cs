using System.Buffers.Text;
using System.Globalization;
using System.Text;
using AgentGrains.Client.Gateway.Errors;

namespace AgentGrains.Client.Gateway.Http;

/// <summary>The paging parameters of list endpoints: <c>limit</c> and an opaque <c>cursor</c> (a previous page's <c>next</c>).</summary>
/// <remarks>
/// A cursor is the key the next page starts after, tagged with the listing it belongs to and
/// base64url-encoded: clients pass it back as is, and one listing's cursor given to another is refused
/// instead of read as something it is not.
/// </remarks>
internal static class PageQuery
{
    public const int DefaultLimit = 20;

    public const int MaxLimit = 100;

    // Longer than any key a listing hands out (session ids of specialists' sessions included).
    private const int MaxCursorLength = 1024;

    /// <summary>The page size asked for: <see cref="DefaultLimit"/> when absent.</summary>
    public static int Limit(string? limit)
    {
        if (limit is null)
        {
            return DefaultLimit;
        }

        if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value is < 1 or > MaxLimit)
        {
            throw GatewayProblemException.Invalid("limit", $"limit must be a whole number from 1 to {MaxLimit} (default {DefaultLimit}); it was '{limit}'.");
        }

        return value;
    }

    /// <summary>The opaque cursor for a page of <paramref name="listing"/> that starts after <paramref name="key"/>.</summary>
    public static string? Cursor(string listing, string? key) =>
        key is null ? null : Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{listing}:{key}"));

    /// <summary>The key in <paramref name="cursor"/>, a cursor of <paramref name="listing"/>; null when absent.</summary>
    public static string? Key(string listing, string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        var tag = listing + ":";
        string decoded;
        try
        {
            decoded = cursor.Length is > 0 and <= MaxCursorLength ? Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)) : string.Empty;
        }
        catch (FormatException)
        {
            decoded = string.Empty;
        }

        if (decoded.Length <= tag.Length || !decoded.StartsWith(tag, StringComparison.Ordinal))
        {
            throw GatewayProblemException.Invalid("cursor", $"cursor is not one this listing handed out; send the 'next' value of the previous page of {listing} as is, or omit cursor for the first page.");
        }

        return decoded[tag.Length..];
    }
}
