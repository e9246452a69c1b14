namespace AuthService.Passwords;

/// <summary>
/// Verification of bcrypt hashes (<c>$2a$</c>, <c>$2b$</c>, <c>$2y$</c>) imported from other systems
/// (passlib, GoTrue/Supabase, BCrypt.Net, PHP's password_hash), through BCrypt.Net-Next. The service
/// never writes bcrypt: <see cref="Argon2id.CheckAsync"/> asks for a rehash of these, so the first successful
/// signin replaces the hash with Argon2id (audit <c>password_rehashed</c>).
/// <list type="bullet">
/// <item>The password is checked exactly as typed, with no NFKC: the system that made the hash did not
/// normalize, so normalizing here could lock out a user whose password has compatibility characters.
/// The Argon2id hash that replaces it is made from the NFKC form, as every Argon2id hash is.</item>
/// <item>bcrypt uses only the first 72 bytes of the UTF-8 password; longer passwords are verified as
/// bcrypt does (the tail is ignored, as it was by the old system). The Argon2id upgrade then stores the
/// whole password as typed at that signin, so from then on every byte counts.</item>
/// <item><c>$2x$</c> (crypt_blowfish's buggy 8-bit handling) and <c>$2$</c> are not accepted.</item>
/// </list>
/// </summary>
internal static class LegacyBcrypt
{
    /// <summary>$2a$/$2b$/$2y$, a two-digit cost, then 53 characters of salt and hash: 60 in all.</summary>
    public static bool IsBcrypt(string storedHash) =>
        storedHash.Length == 60
        && (storedHash.StartsWith("$2a$", StringComparison.Ordinal)
            || storedHash.StartsWith("$2b$", StringComparison.Ordinal)
            || storedHash.StartsWith("$2y$", StringComparison.Ordinal))
        && char.IsAsciiDigit(storedHash[4]) && char.IsAsciiDigit(storedHash[5]) && storedHash[6] == '$';

    /// <summary>Plain bcrypt (no pre-hash): false for a wrong password and for a malformed hash.</summary>
    public static bool Verify(string storedHash, string password)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, storedHash);
        }
        catch (Exception e) when (e is BCrypt.Net.SaltParseException or ArgumentException)
        {
            return false;
        }
    }
}
