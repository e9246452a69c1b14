namespace AuthService.Options;

public sealed class SigningKeyOptions
{
    /// <summary>How long a key signs before its successor takes over.</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a new key is published in the JWKS before it signs, so downstream caches have it.</summary>
    public TimeSpan PublishLead { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The JWKS's Cache-Control max-age: short enough that downstream caches see a new key well before it signs.</summary>
    public TimeSpan JwksMaxAge { get; set; } = TimeSpan.FromMinutes(5);
}
