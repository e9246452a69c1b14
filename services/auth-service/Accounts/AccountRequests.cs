using AuthService.Http;

namespace AuthService.Accounts;

// Members are nullable on purpose: a missing field is a validation error with a code, not a
// deserialization failure. Unknown members are refused (JsonRequest).
public sealed record SignupRequest(string? Email, string? Password, string? DisplayName) : JsonRequest;
/// <summary>POST /auth/verify-email: <c>password</c> of the link's signup, needed when the address saw more than one signup.</summary>
public sealed record VerifyEmailRequest(string? Token, string? Password) : JsonRequest;
public sealed record EmailRequest(string? Email) : JsonRequest;
public sealed record UpdateProfileRequest(string? DisplayName) : JsonRequest;

public sealed record UserResponse(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTimeOffset CreatedAt);
public sealed record MessageResponse(string Message);

public static class FieldErrors
{
    public const string Required = "required";
    public const string InvalidFormat = "invalid_format";
    public const string TooLong = "too_long";
    public const string TooShort = "too_short";
    public const string Mismatch = "mismatch";

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
