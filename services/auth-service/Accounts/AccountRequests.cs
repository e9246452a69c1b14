namespace AuthService.Accounts;

// Members are nullable on purpose: a missing field is a validation error with a code, not a
// deserialization failure.
public sealed record SignupRequest(string? Email, string? Password, string? DisplayName);
/// <summary>POST /auth/verify-email: <c>password</c> of the link's signup, needed when the address saw more than one signup.</summary>
public sealed record VerifyEmailRequest(string? Token, string? Password);
public sealed record EmailRequest(string? Email);
public sealed record UpdateProfileRequest(string? DisplayName);

public sealed record UserResponse(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTimeOffset CreatedAt);
public sealed record MessageResponse(string Message);

public static class FieldErrors
{
    public const string Required = "required";
    public const string InvalidFormat = "invalid_format";
    public const string TooLong = "too_long";
    public const string TooShort = "too_short";
    public const string Mismatch = "mismatch";

    /// <summary>displayName: trimmed, 1–100 characters, no control characters.</summary>
    public static string? CheckDisplayName(string? value, out string? trimmed)
    {
        trimmed = value?.Trim();
        if (trimmed is null) return null;
        if (trimmed.Length == 0) return TooShort;
        if (trimmed.EnumerateRunes().Count() > 100) return TooLong; // characters, not UTF-16 units
        // Control characters and bidi overrides can disguise a name in other users' screens.
        return trimmed.Any(c => char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069')
            ? InvalidFormat : null;
    }
}
