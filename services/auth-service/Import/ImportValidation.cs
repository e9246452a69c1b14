using System.Text.RegularExpressions;
using AuthService.Passwords;
using AuthService.Shared;

namespace AuthService.Import;

/// <summary>
/// Checks an imported user as signup checks one (email normalization, the display-name rule) plus what only
/// an import carries: role names, a recognized password hash format and a creation time that is not in the future.
/// </summary>
internal static partial class ImportValidation
{
    public const int MaxRoles = 32;

    /// <summary>The normalized user, or null with the reason it is refused.</summary>
    public static ValidImportUser? Validate(ImportUser row, DateTimeOffset now, out string? reason)
    {
        reason = null;
        var email = EmailAddress.Normalize(row.Email);
        if (email is null)
        {
            reason = ImportSkipReasons.InvalidEmail;
            return null;
        }
        if (FieldErrors.CheckDisplayName(row.DisplayName, out var displayName) is not null)
        {
            reason = ImportSkipReasons.InvalidDisplayName;
            return null;
        }
        var roles = row.Roles ?? [];
        if (roles.Length > MaxRoles || roles.Any(r => r is null || !RoleName().IsMatch(r)))
        {
            reason = ImportSkipReasons.InvalidRoles;
            return null;
        }
        if (row.PasswordHash is not null && StoredPasswordHash.Recognize(row.PasswordHash) == PasswordHashFormat.Unknown)
        {
            reason = ImportSkipReasons.UnsupportedPasswordHash;
            return null;
        }
        if (row.CreatedAt > now)
        {
            reason = ImportSkipReasons.CreatedAtInFuture;
            return null;
        }
        return new ValidImportUser(email, row.PasswordHash ?? StoredPasswordHash.Unusable, row.EmailVerified ?? false,
            displayName, roles.Distinct(StringComparer.Ordinal).ToArray(), row.CreatedAt ?? now);
    }

    [GeneratedRegex("^[a-z][a-z0-9_.:-]{0,63}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex RoleName();
}
