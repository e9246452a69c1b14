namespace AuthService.Passwords;

/// <summary>
/// Recognizes the format of a stored (or to be imported) password hash. Import refuses
/// <see cref="PasswordHashFormat.Unknown"/>; <see cref="Argon2id"/> dispatches verification on it.
/// </summary>
public static class StoredPasswordHash
{
    /// <summary>
    /// What an imported user without a password gets: no format recognizes it, so no password matches
    /// it (a signin still spends a decoy verification); forgot-password sets a real one.
    /// </summary>
    public const string Unusable = "!no-password";

    public static PasswordHashFormat Recognize(string? storedHash) =>
        storedHash is null ? PasswordHashFormat.Unknown
        : LegacyBcrypt.IsBcrypt(storedHash) ? PasswordHashFormat.Bcrypt
        : ImportedArgon2id.IsArgon2id(storedHash) ? PasswordHashFormat.Argon2id
        : IdentityV3Hash.IsIdentityV3(storedHash) ? PasswordHashFormat.IdentityV3
        : PasswordHashFormat.Unknown;

    /// <summary>The scheme's name for audit details: <c>bcrypt</c>, <c>argon2id</c>, <c>identity_v3</c> or <c>unknown</c>.</summary>
    public static string Scheme(string storedHash) => Recognize(storedHash) switch
    {
        PasswordHashFormat.Bcrypt => "bcrypt",
        PasswordHashFormat.Argon2id => "argon2id",
        PasswordHashFormat.IdentityV3 => "identity_v3",
        _ => "unknown",
    };
}
