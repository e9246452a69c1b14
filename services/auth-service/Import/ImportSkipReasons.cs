namespace AuthService.Import;

/// <summary>Why a user was not imported (the <c>reason</c> of a skipped row; the CLI's summary counts them).</summary>
public static class ImportSkipReasons
{
    /// <summary>The email is taken already: a re-run skips what the last run imported. Not an error.</summary>
    public const string Exists = "exists";
    public const string InvalidEmail = "invalid_email";
    /// <summary>The same normalized email appears earlier in the same batch.</summary>
    public const string DuplicateEmail = "duplicate_email";
    public const string InvalidDisplayName = "invalid_display_name";
    public const string InvalidRoles = "invalid_roles";
    /// <summary>passwordHash is not a bcrypt, Argon2id (within the bounds) or Identity V3 hash.</summary>
    public const string UnsupportedPasswordHash = "unsupported_password_hash";
    public const string CreatedAtInFuture = "created_at_in_future";
    // Only from the CLI's reader:
    public const string InvalidJson = "invalid_json";
    /// <summary>A member the import does not know (say <c>password_hash</c>): refused rather than imported without it.</summary>
    public const string UnknownMember = "unknown_member";
    public const string InvalidUtf8 = "invalid_utf8";
    public const string LineTooLong = "line_too_long";
}
