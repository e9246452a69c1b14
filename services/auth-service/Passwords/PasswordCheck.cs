namespace AuthService.Passwords;

/// <summary>The outcome of checking a password against a stored hash.</summary>
public enum PasswordCheck
{
    Failed,
    /// <summary>Matched a current Argon2id hash of the NFKC form: nothing to do.</summary>
    Matched,
    /// <summary>Matched, but the hash is to be replaced by the service's Argon2id (an imported format,
    /// other Argon2id parameters, or an imported Argon2id hash of the password as typed rather than its NFKC form).</summary>
    MatchedNeedsRehash,
}
