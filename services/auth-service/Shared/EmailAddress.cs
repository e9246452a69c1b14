namespace AuthService.Shared;

/// <summary>
/// Email normalization per API.md: trimmed, lower-cased, at most 254 characters, one @, a dotted
/// domain, and nothing invisible (no control, format or zero-width characters: see <see cref="VisibleText"/>).
/// </summary>
public static class EmailAddress
{
    public const int MaxLength = 254;

    /// <summary>The normalized address, or null when <paramref name="raw"/> is not an acceptable email.</summary>
    public static string? Normalize(string? raw)
    {
        if (raw is null) return null;
        var email = raw.Trim().ToLowerInvariant();
        if (email.Length is 0 or > MaxLength || !VisibleText.IsVisible(email)) return null;

        var at = email.IndexOf('@');
        if (at <= 0 || at != email.LastIndexOf('@') || at > 64) return null;

        var local = email.AsSpan(0, at);
        var domain = email.AsSpan(at + 1);
        if (domain.Length < 3 || !domain.Contains('.') || domain[0] == '.' || domain[^1] == '.' || domain.Contains("..", StringComparison.Ordinal))
            return null;

        foreach (var c in email)
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or '(' or ')' or '[' or ']' or ',' or ';' or ':' or '\\' or '"')
                return null;
        foreach (var c in domain)
            if (!(char.IsLetterOrDigit(c) || c is '-' or '.')) return null;
        return local.Length == 0 ? null : email;
    }
}
