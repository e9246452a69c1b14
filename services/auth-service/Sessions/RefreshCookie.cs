using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Sessions;

/// <summary>The refresh-token cookie: HttpOnly, Path=/auth, SameSite and Secure from configuration, Max-Age = session's remaining lifetime.</summary>
public sealed class RefreshCookie(IOptions<AuthOptions> options, TimeProvider clock)
{
    public const string Path = "/auth";
    private readonly RefreshCookieOptions cookie = options.Value.RefreshCookie;

    public string Name => cookie.CookieName;

    public string? Read(HttpRequest request) => request.Cookies[Name];

    public void Write(HttpResponse response, string token, DateTimeOffset sessionExpiresAt)
    {
        var maxAge = sessionExpiresAt - clock.GetUtcNow();
        response.Cookies.Append(Name, token, Options(maxAge > TimeSpan.Zero ? maxAge : TimeSpan.Zero));
    }

    public void Clear(HttpResponse response) => response.Cookies.Append(Name, "", Options(TimeSpan.Zero));

    private CookieOptions Options(TimeSpan maxAge) => new()
    {
        HttpOnly = true,
        Secure = cookie.EffectiveSecure,
        SameSite = cookie.SameSite,
        Path = Path,
        MaxAge = maxAge,
        IsEssential = true,
    };
}
