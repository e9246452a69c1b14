namespace AuthService.Options;

/// <summary>The <c>Auth</c> configuration section; defaults are the contract's (API.md).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public string Issuer { get; set; } = "";
    public string Audience { get; set; } = "api";
    public string AppBaseUrl { get; set; } = "";
    public string[] AllowedOrigins { get; set; } = [];
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan RefreshTokenIdleLifetime { get; set; } = TimeSpan.FromDays(14);
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(30);
    public TimeSpan RefreshReuseGrace { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan VerifyEmailTokenLifetime { get; set; } = TimeSpan.FromHours(24);
    public TimeSpan ResetPasswordTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a refresh waits for its turn on a busy session before 409.</summary>
    public TimeSpan RefreshLockTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Base64 of 32 bytes; encrypts signing keys and keys the refresh-successor HMAC.</summary>
    public string KeyEncryptionKey { get; set; } = "";

    public RefreshCookieOptions RefreshCookie { get; set; } = new();
    public PasswordOptions Password { get; set; } = new();
    public LockoutOptions Lockout { get; set; } = new();
    public SigningKeyOptions SigningKeys { get; set; } = new();
}
