using System.Buffers;
using AgentGrains.Client.Gateway.Errors;

namespace AgentGrains.Client.Gateway.Sessions;

/// <summary>What a session id may look like, and new ones.</summary>
/// <remarks>
/// Ids travel in URL paths, logs and grain ids, so they are short and made of characters that need
/// no escaping anywhere. The first character is a letter or digit so that "." and ".." (which
/// clients collapse in paths) can never be ids.
/// </remarks>
internal static class SessionIds
{
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    /// <summary>The longest id a listing may hand out: a specialist's session is named after its manager's run, so its id grows with the depth of the tree.</summary>
    public const int MaxListedLength = 1024;

    private static readonly SearchValues<char> AllowedListed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-~");

    public static string New() => Guid.NewGuid().ToString("N");

    /// <summary>Throws a validation problem naming <paramref name="field"/> unless <paramref name="id"/> is a valid session id.</summary>
    public static void Validate(string? id, string field)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw GatewayProblemException.Invalid(field, $"{field} is empty; omit it to get a generated id, or send 1 to {MaxLength} characters.");
        }

        if (id.Length > MaxLength)
        {
            throw GatewayProblemException.Invalid(field, $"{field} has {id.Length} characters; at most {MaxLength} are allowed.");
        }

        if (id.AsSpan().ContainsAnyExcept(Allowed) || !char.IsAsciiLetterOrDigit(id[0]))
        {
            throw GatewayProblemException.Invalid(field, $"{field} may contain only A-Z, a-z, 0-9, '.', '_', ':' and '-', and must start with a letter or digit.");
        }
    }

    /// <summary>As <see cref="Validate"/>, for reads that also accept the ids of specialists' sessions (containing '~'), as listings show them.</summary>
    public static void ValidateListed(string? id, string field)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxListedLength || id.AsSpan().ContainsAnyExcept(AllowedListed) || !char.IsAsciiLetterOrDigit(id[0]))
        {
            throw GatewayProblemException.Invalid(field, $"{field} must be a session id as GET /v1/sessions lists it: 1 to {MaxListedLength} of A-Z, a-z, 0-9, '.', '_', ':', '-' and '~', starting with a letter or digit.");
        }
    }
}
