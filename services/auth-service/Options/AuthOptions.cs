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

public sealed class SigningKeyOptions
{
    /// <summary>How long a key signs before its successor takes over.</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a new key is published in the JWKS before it signs, so downstream caches have it.</summary>
    public TimeSpan PublishLead { get; set; } = TimeSpan.FromHours(1);
}

public sealed class LockoutOptions
{
    public int MaxFailures { get; set; } = 10;
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);
}

public sealed class RefreshCookieOptions
{
    public bool Secure { get; set; } = true;
    public SameSiteMode SameSite { get; set; } = SameSiteMode.Strict;

    /// <summary>SameSite=None is only accepted by browsers with Secure, so it forces Secure.</summary>
    public bool EffectiveSecure => Secure || SameSite == SameSiteMode.None;

    public string CookieName => EffectiveSecure ? "__Secure-refresh_token" : "refresh_token";
}

public sealed class PasswordOptions
{
    public int MinLength { get; set; } = 15;

    /// <summary>Argon2id iterations (t) and memory in KiB (m); OWASP floor t=2, m=19 MiB.</summary>
    public int HashIterations { get; set; } = 2;
    public int HashMemoryKiB { get; set; } = 19 * 1024;

    /// <summary>Hashes running at once; beyond it requests queue for <see cref="HashQueueTimeout"/>.</summary>
    public int MaxConcurrentHashes { get; set; } = Environment.ProcessorCount;
    public TimeSpan HashQueueTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
