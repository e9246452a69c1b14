namespace AuthService.Options;

public sealed class RefreshCookieOptions
{
    public bool Secure { get; set; } = true;
    public SameSiteMode SameSite { get; set; } = SameSiteMode.Strict;

    /// <summary>SameSite=None is only accepted by browsers with Secure, so it forces Secure.</summary>
    public bool EffectiveSecure => Secure || SameSite == SameSiteMode.None;

    public string CookieName => EffectiveSecure ? "__Secure-refresh_token" : "refresh_token";
}
