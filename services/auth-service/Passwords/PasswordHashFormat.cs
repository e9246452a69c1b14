namespace AuthService.Passwords;

/// <summary>The formats a stored password hash can have (<see cref="StoredPasswordHash.Recognize"/>).</summary>
public enum PasswordHashFormat
{
    /// <summary>Not a hash this service verifies: refused at import; an imported user without a password has one.</summary>
    Unknown,
    /// <summary>A libsodium Argon2id PHC string: the service's own, or imported (then verified as typed as well).</summary>
    Argon2id,
    /// <summary>bcrypt <c>$2a$</c>/<c>$2b$</c>/<c>$2y$</c>, imported (<see cref="LegacyBcrypt"/>).</summary>
    Bcrypt,
    /// <summary>ASP.NET Core Identity <c>PasswordHasher</c> V3, imported (<see cref="IdentityV3Hash"/>).</summary>
    IdentityV3,
}
