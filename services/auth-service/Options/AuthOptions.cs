namespace AuthService.Options;

/// <summary>The <c>Auth</c> configuration section; defaults are the contract's (API.md).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public string Issuer { get; set; } = "";
    public string Audience { get; set; } = "api";
    public string AppBaseUrl { get; set; } = "";
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Whether the service serves the pages its mailed links open (/verify-email, /reset-password). Unset: when
    /// <see cref="AppBaseUrl"/> is the service itself (<see cref="Issuer"/>), as it is when AppBaseUrl is not set.
    /// </summary>
    public bool? ServeLinkPages { get; set; }

    /// <summary>True when the mailed links lead to this service, so it should serve their pages (see <see cref="ServeLinkPages"/>).</summary>
    public bool LinksOpenThisService() => ServeLinkPages ??
        string.Equals(AppBaseUrl.TrimEnd('/'), Issuer.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan RefreshTokenIdleLifetime { get; set; } = TimeSpan.FromDays(14);
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(30);
    public TimeSpan RefreshReuseGrace { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan VerifyEmailTokenLifetime { get; set; } = TimeSpan.FromHours(24);
    public TimeSpan ResetPasswordTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The set-password link of an admin's invitation (a reset token that lives longer: the invitee may be away).</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a refresh waits for its turn on a busy session before 409.</summary>
    public TimeSpan RefreshLockTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary><see cref="RefreshLockTimeout"/> as PostgreSQL's <c>lock_timeout</c> setting, which the rotation functions set.</summary>
    internal string RefreshLockTimeoutSetting => $"{(int)RefreshLockTimeout.TotalMilliseconds}ms";

    /// <summary>
    /// How many live sessions each replica keeps in memory for bearer checks (Sessions/SessionCache), and how many
    /// access tokens it remembers as validated (Sessions/ValidatedTokenCache); 0 turns both off, so every bearer call
    /// validates its token and reads the database. A fill that finds either full empties it first.
    /// </summary>
    public int SessionCacheSize { get; set; } = 10_000;

    /// <summary>The id <see cref="KeyEncryptionKey"/> goes by, and that rows sealed before key ids existed carry.</summary>
    public const string LegacyKeyEncryptionKeyId = "legacy";

    /// <summary>Base64 of 32 bytes: the one-key form of <see cref="KeyEncryptionKeys"/> (id <c>legacy</c>).</summary>
    public string KeyEncryptionKey { get; set; } = "";

    /// <summary>Newest first: the first seals the stored secrets (signing keys, server secrets), every one opens them.</summary>
    public KeyEncryptionKeyOptions[] KeyEncryptionKeys { get; set; } = [];

    /// <summary>The configured keys in either form, newest first; empty when neither is set.</summary>
    public IReadOnlyList<KeyEncryptionKeyOptions> ConfiguredKeyEncryptionKeys() =>
        KeyEncryptionKeys.Length > 0 ? KeyEncryptionKeys
        : string.IsNullOrWhiteSpace(KeyEncryptionKey) ? []
        : [new KeyEncryptionKeyOptions { Id = LegacyKeyEncryptionKeyId, Key = KeyEncryptionKey }];

    public RefreshCookieOptions RefreshCookie { get; set; } = new();
    public PasswordOptions Password { get; set; } = new();
    public LockoutOptions Lockout { get; set; } = new();
    public SigningKeyOptions SigningKeys { get; set; } = new();
    public PasskeyOptions Passkeys { get; set; } = new();
}
