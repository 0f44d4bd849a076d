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

    /// <summary>Separates a manager's session id from its specialist's in the id of a specialist session (<c>game-demo~answerer</c>).</summary>
    public const char SpecialistSeparator = '~';

    private static readonly SearchValues<char> AllowedExisting =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-~");

    public static string New() => Guid.NewGuid().ToString("N");

    /// <summary>Like <see cref="Validate"/>, but also accepts the ids of specialist sessions, which delegation names with <c>~</c> and clients may read but not create.</summary>
    public static void ValidateExisting(string? id, string field)
    {
        Validate(id?.Replace(SpecialistSeparator, '-'), field);
    }

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
}
