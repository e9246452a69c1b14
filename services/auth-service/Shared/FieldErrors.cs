namespace AuthService.Shared;

/// <summary>The codes of a validation problem's <c>errors</c> (API.md), and the display-name rule signup and profile share.</summary>
public static class FieldErrors
{
    public const string Required = "required";
    public const string InvalidFormat = "invalid_format";
    public const string TooLong = "too_long";
    public const string TooShort = "too_short";
    public const string Mismatch = "mismatch";
    /// <summary>The new value equals the current one (an email change to the address in use).</summary>
    public const string Unchanged = "unchanged";

    /// <summary>displayName: trimmed, 1–100 characters, nothing invisible except inside emoji sequences.</summary>
    public static string? CheckDisplayName(string? value, out string? trimmed)
    {
        trimmed = value?.Trim();
        if (trimmed is null) return null;
        if (trimmed.Length == 0) return TooShort;
        if (trimmed.EnumerateRunes().Count() > 100) return TooLong; // characters, not UTF-16 units
        // Control, format and zero-width characters can disguise a name in other users' screens.
        return VisibleText.IsVisibleName(trimmed) ? null : InvalidFormat;
    }
}
