using System.Net;

namespace AuthService.Testing;

/// <summary>What <c>POST /auth/signin</c> returned: the access token and the refresh cookie.</summary>
/// <param name="AccessToken">The access JWT, for <c>Authorization: Bearer …</c>.</param>
/// <param name="RefreshCookie">
/// The refresh cookie (<c>refresh_token</c>; <c>__Secure-refresh_token</c> when the service runs with secure cookies), for
/// <c>POST /auth/refresh</c> and <c>POST /auth/logout</c>, which also need an <c>X-Requested-With</c> header.
/// </param>
public sealed record AuthServiceSignIn(string AccessToken, Cookie RefreshCookie);
