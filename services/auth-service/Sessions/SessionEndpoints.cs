using AuthService.Audit;
using AuthService.Http;
using AuthService.Passwords;
using AuthService.Shared;
using AuthService.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Sessions;

/// <summary>Signin, refresh-token rotation, logout and the caller's session list.</summary>
internal static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth").WithTags("Sessions");
        auth.MapPost("/signin", Signin).WithName("Signin").RequireRateLimiting(RateLimits.Credentials);
        auth.MapPost("/refresh", Refresh).WithName("Refresh").AddEndpointFilter<CsrfFilter>();
        auth.MapPost("/logout", Logout).WithName("Logout").AddEndpointFilter<CsrfFilter>();
        auth.MapPost("/logout-all", LogoutAll).WithName("LogoutAll").RequireAuthorization();

        var sessions = auth.MapGroup("/sessions").RequireAuthorization();
        sessions.MapGet("", ListSessions).WithName("ListSessions");
        sessions.MapDelete("/{id}", DeleteSession).WithName("DeleteSession");
        return app;
    }

    public static async Task<Results<Ok<AccessTokenResponse>, ProblemHttpResult>> Signin(
        SigninRequest request, HttpContext http, CredentialStore credentialStore, SessionStore sessions, Argon2id hasher,
        AccessTokenIssuer issuer, RefreshCookie cookie, SigninLockout lockout, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.Email)) errors["email"] = [FieldErrors.Required];
        if (string.IsNullOrEmpty(request.Password)) errors["password"] = [FieldErrors.Required];
        if (errors.Count > 0) return Problems.Validation(errors);

        var origin = RequestOrigin.From(http);
        var email = EmailAddress.Normalize(request.Email);
        // Counted before the password is checked (SigninLockout): a locked email is refused unchecked,
        // and at most MaxFailures checks per window run however many arrive at once, on any replica.
        var attempt = email is null ? null : await lockout.BeginAttemptAsync(email, ct);
        if (attempt is { Admitted: false }) return SigninLockout.Locked(http.Response, attempt);
        var credentials = email is null ? null : await credentialStore.FindCredentialsAsync(email, ct);
        if (credentials is null)
        {
            // Unknown email: spend one hash anyway so the answer's timing does not reveal accounts.
            await hasher.VerifyDecoyAsync(request.Password!, ct);
            return await SigninFailedAsync(null);
        }
        if (!await hasher.VerifyAsync(credentials.PasswordHash, request.Password!, ct))
            return await SigninFailedAsync(credentials.User.Id);

        // Only after the password was checked, so this does not reveal accounts either. The attempt
        // stays counted: only an issued session clears the count.
        if (!credentials.User.EmailVerified)
            return Problems.Create(403, ErrorCodes.EmailNotVerified, "Verify your email address before signing in");

        if (hasher.NeedsRehash(credentials.PasswordHash))
            await credentialStore.UpdatePasswordHashAsync(credentials.User.Id, credentials.PasswordHash, await hasher.HashAsync(request.Password!, ct), origin, ct);

        var session = await sessions.CreateAsync(credentials.User.Id, origin, ct); // also clears the email's count
        cookie.Write(http.Response, session.RefreshToken, session.ExpiresAt);
        return TokenResponse(http, issuer.Issue(credentials.User, session.Id));

        async Task<ProblemHttpResult> SigninFailedAsync(Guid? userId)
        {
            // Counted (above) and audited for unknown emails too: a lock must not tell whether the account exists.
            if (attempt is not null) await lockout.AuditFailedCheckAsync(AuditKinds.SigninFailed, email!, userId, attempt, origin);
            return Problems.Create(401, ErrorCodes.InvalidCredentials, "Invalid email or password");
        }
    }

    public static async Task<Results<Ok<AccessTokenResponse>, ProblemHttpResult>> Refresh(
        HttpContext http, RefreshRotation rotation, AccessTokenIssuer issuer, RefreshCookie cookie, CancellationToken ct)
    {
        var presented = cookie.Read(http.Request);
        if (string.IsNullOrEmpty(presented))
            return Problems.Create(401, ErrorCodes.RefreshTokenMissing, "No refresh token cookie");

        switch (await rotation.RotateAsync(presented, RequestOrigin.From(http), ct))
        {
            case RefreshResult.Renewed renewed: // rotated, or a retry within the grace window
                cookie.Write(http.Response, renewed.RefreshToken, renewed.SessionExpiresAt);
                return TokenResponse(http, issuer.Issue(renewed.User, renewed.SessionId));
            case RefreshResult.Conflict:
                http.Response.Headers.RetryAfter = "1";
                return Problems.Create(409, ErrorCodes.RefreshConflict, "A refresh of this session is in progress, retry shortly");
            case RefreshResult.Reused: // revoked, audited and the owner mailed, all in the rotation's transaction
                cookie.Clear(http.Response);
                return Problems.Create(401, ErrorCodes.RefreshTokenReused, "Refresh token reuse detected; the session was revoked");
            default:
                cookie.Clear(http.Response);
                return Problems.Create(401, ErrorCodes.RefreshTokenInvalid, "The refresh token is invalid or expired");
        }
    }

    public static async Task<NoContent> Logout(HttpContext http, SessionStore sessions, RefreshCookie cookie, CancellationToken ct)
    {
        var presented = cookie.Read(http.Request);
        if (OpaqueToken.LooksValid(presented)) await sessions.RevokeByRefreshTokenAsync(presented!, RequestOrigin.From(http), ct);
        cookie.Clear(http.Response);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> LogoutAll(HttpContext http, SessionStore sessions, RefreshCookie cookie, CancellationToken ct)
    {
        await sessions.LogoutEverywhereAsync(http.GetAuthenticatedUser().User.Id, RequestOrigin.From(http), ct);
        cookie.Clear(http.Response);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<SessionResponse>>> ListSessions(HttpContext http, SessionStore sessions, CancellationToken ct)
    {
        var caller = http.GetAuthenticatedUser();
        return TypedResults.Ok(await sessions.ListLiveAsync(caller.User.Id, caller.SessionId, ct));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteSession(string id, HttpContext http, SessionStore sessions, CancellationToken ct)
    {
        var caller = http.GetAuthenticatedUser();
        if (!Guid.TryParse(id, out var sessionId) || !await sessions.RevokeOwnAsync(caller.User.Id, sessionId, RequestOrigin.From(http), ct))
            return Problems.NotFound();
        return TypedResults.NoContent();
    }

    private static Ok<AccessTokenResponse> TokenResponse(HttpContext http, AccessTokenResponse response)
    {
        http.Response.Headers.Pragma = "no-cache"; // for HTTP/1.0 caches; Cache-Control: no-store is every answer's default
        return TypedResults.Ok(response);
    }
}
