using System.Text.RegularExpressions;
using AuthService.Shared;

namespace AuthService.Roles;

/// <summary>
/// The rule for role names (API.md v2, "Roles and claims"): lower-case, starting with a letter, at most 64
/// characters of <c>[a-z0-9_.:-]</c>, so a name is safe in a claim, a log line and a policy string as it is;
/// at most <see cref="MaxPerUser"/> per user, so a token stays small.
/// </summary>
public static partial class RoleNames
{
    public const int MaxPerUser = 32;
    public const string Admin = "admin";

    /// <summary>Field code when a user would hold more than <see cref="MaxPerUser"/> roles.</summary>
    public const string TooMany = "too_many";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>A whole set as a request sends it: null when valid, else the field error code. Duplicates are folded, not refused.</summary>
    public static string? Check(IReadOnlyCollection<string?> roles, out string[] normalized)
    {
        normalized = [];
        if (roles.Any(r => !IsValid(r))) return FieldErrors.InvalidFormat;
        var distinct = roles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (distinct.Length > MaxPerUser) return TooMany;
        normalized = distinct!;
        return null;
    }

    // \z, not $: $ would accept a trailing newline.
    [GeneratedRegex(@"\A[a-z][a-z0-9_.:-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
