using System.Buffers;
using System.Globalization;

namespace AgentGrains.GrainInterfaces.Memory;

/// <summary>What a user id may look like: the owner of a session's long-term memory.</summary>
/// <remarks>
/// User ids come from the application that creates sessions (its own account ids, e-mail
/// addresses) and travel in URL paths (<c>/v1/users/{userId}/memories</c>), logs and grain keys,
/// so they are short and need no escaping: letters, digits and <c>. _ : - @ +</c>, starting with
/// a letter or digit.
/// </remarks>
public static class UserIds
{
    /// <summary>The longest user id accepted.</summary>
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-@+");

    /// <summary>Null when <paramref name="userId"/> is a valid user id; otherwise what is wrong with it, naming <paramref name="field"/>.</summary>
    public static string? Problem(string? userId, string field)
    {
        if (string.IsNullOrEmpty(userId))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{field} is empty; send 1 to {MaxLength} characters, or omit it for a session without long-term memory.");
        }

        if (userId.Length > MaxLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{field} has {userId.Length} characters; at most {MaxLength} are allowed.");
        }

        return userId.AsSpan().ContainsAnyExcept(Allowed) || !char.IsAsciiLetterOrDigit(userId[0])
            ? $"{field} may contain only A-Z, a-z, 0-9, '.', '_', ':', '-', '@' and '+', and must start with a letter or digit."
            : null;
    }

    /// <summary>Throws unless <paramref name="userId"/> is a valid user id.</summary>
    /// <exception cref="ArgumentException">It is not.</exception>
    public static void Validate(string? userId, string field)
    {
        if (Problem(userId, field) is { } problem)
        {
            throw new ArgumentException(problem, field);
        }
    }
}
