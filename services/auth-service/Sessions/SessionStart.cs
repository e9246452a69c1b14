using AuthService.Http;
using AuthService.Shared;
using AuthService.Telemetry;
using AuthService.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Sessions;

/// <summary>
/// How every signin ends: the standing checks a proven user still has to pass, and the session, cookie and access
/// token it gets. Password, second-factor and passkey signins all go through here, so none of them can skip a check.
/// </summary>
internal sealed class SessionStart(SessionStore sessions, AccessTokenIssuer issuer, RefreshCookie cookie, AuthMetrics metrics)
{
    /// <summary>
    /// The refusal for a user whose credential was right but who may not sign in (address not verified, account
    /// disabled), or null. Asked only after the credential was checked, so it reveals nothing about other accounts.
    /// </summary>
    public ProblemHttpResult? Refusal(UserResponse user, bool disabled)
    {
        if (!user.EmailVerified)
        {
            metrics.Signin(AuthMetrics.SigninNotVerified);
            return Problems.Create(403, ErrorCodes.EmailNotVerified, "Verify your email address before signing in");
        }
        if (disabled)
        {
            metrics.Signin(AuthMetrics.SigninDisabled);
            return Problems.Create(403, ErrorCodes.AccountDisabled, "This account is disabled");
        }
        return null;
    }

    /// <summary>Starts the session (which also clears the email's failure count), sets the refresh cookie and answers the access token.</summary>
    public async Task<Ok<AccessTokenResponse>> StartAsync(HttpContext http, UserResponse user, IReadOnlyList<string> amr, string outcome,
        RequestOrigin origin, CancellationToken ct)
    {
        var session = await sessions.CreateAsync(user.Id, amr, origin, ct);
        cookie.Write(http.Response, session.RefreshToken, session.ExpiresAt);
        metrics.Signin(outcome);
        return TokenResponse(http, issuer.Issue(user, session.Id, amr));
    }

    /// <summary>An answer carrying an access token: also <c>Pragma: no-cache</c> for HTTP/1.0 caches (<c>Cache-Control: no-store</c> is every answer's default).</summary>
    public static Ok<AccessTokenResponse> TokenResponse(HttpContext http, AccessTokenResponse response)
    {
        http.Response.Headers.Pragma = "no-cache";
        return TypedResults.Ok(response);
    }
}
