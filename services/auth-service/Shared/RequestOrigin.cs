using AuthService.Http;

namespace AuthService.Shared;

/// <summary>Where a request came from, for audit rows and session records.</summary>
public sealed record RequestOrigin(string? Ip, string? UserAgent)
{
    /// <summary>The IP comes from a parsed address; the User-Agent is whatever the client sent, so it is cleaned and bounded first.</summary>
    public static RequestOrigin From(HttpContext http) => new(
        http.Connection.RemoteIpAddress?.ToString(),
        HeaderText.Clean(http.Request.Headers.UserAgent, HeaderText.MaxUserAgentLength));
}
