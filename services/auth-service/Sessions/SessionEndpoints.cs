using AuthService.Audit;
using AuthService.Docs;
using AuthService.Http;
using AuthService.Mfa;
using AuthService.Passwords;
using AuthService.Shared;
using AuthService.Telemetry;
using AuthService.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;

namespace AuthService.Sessions;

/// <summary>Signin, refresh-token rotation, logout and the caller's session list.</summary>
internal static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth").WithTags("Sessions");
        auth.MapPost("/signin", Signin).WithName("Signin").RequireRateLimiting(RateLimits.Credentials).KeepsSessionCache()
            .WithSummary("Sign in")
            .WithDescription("Checks the email and password and starts a session: the access token comes in the JSON answer, the " +
                "refresh token in an HttpOnly cookie. Every check is counted per email before the password is checked; after " +
                "`Auth:Lockout:MaxFailures` within `FailureWindow` the email is locked for `LockoutDuration` (429), whether or not " +
                "the account exists. An imported hash (bcrypt, Argon2id with other parameters, ASP.NET Core Identity V3) is replaced by the service's Argon2id on the first successful signin.")
            .WithResponseDescription(200, "Signed in (`AccessTokenResponse`, with the refresh cookie); or, when the account has TOTP " +
                "on, `MfaRequiredResponse` (`mfaRequired: true`, an `mfaToken` for POST /auth/signin/mfa), with no cookie and no access token.")
            .WithResponseContent(200, "application/json", nameof(AccessTokenResponse))
            .WithResponseContent(200, "application/json", nameof(MfaRequiredResponse))
            .SetsRefreshCookie(200)
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.email`, `errors.password`: `required`.")
            .ProducesError(401, ErrorCodes.InvalidCredentials, "Wrong email or password; an unknown email gets the same answer, in the same time.")
            .ProducesError(403, ErrorCodes.EmailNotVerified, "The password was right, but the address is not verified yet.")
            .ProducesError(403, ErrorCodes.AccountDisabled, "The password was right, but an admin disabled the account.")
            .ProducesError(429, ErrorCodes.AccountLocked);
        auth.MapPost("/refresh", Refresh).WithName("Refresh").AddEndpointFilter<CsrfFilter>().KeepsSessionCache()
            .WithSummary("Refresh the access token")
            .WithDescription("Rotates the refresh cookie and returns a new access token. Every refresh retires the presented token. " +
                "Presenting the immediate predecessor again within `Auth:RefreshReuseGrace` (parallel tabs, a lost answer) returns " +
                "the same newest token; any other retired token is reuse and revokes the whole session. Parallel refreshes of one " +
                "session are serialized.")
            .ReadsRefreshCookie(required: true, "Without it the answer is 401 `refresh_token_missing`.")
            .RequiresCsrfHeader()
            .WithResponseDescription(200, "Refreshed: a new access token, and the rotated cookie.")
            .SetsRefreshCookie(200)
            .ProducesError(401, ErrorCodes.RefreshTokenMissing)
            .ProducesError(401, ErrorCodes.RefreshTokenInvalid, "The token is unknown or expired, or its session was revoked; the cookie is cleared.")
            .ProducesError(401, ErrorCodes.RefreshTokenReused, "A retired token outside the grace rule: the session is revoked, its owner " +
                "mailed, and the cookie cleared.")
            .ClearsRefreshCookie(401, "On `refresh_token_invalid` and `refresh_token_reused`: clears")
            .ProducesError(409, ErrorCodes.RefreshConflict);
        auth.MapPost("/logout", Logout).WithName("Logout").AddEndpointFilter<CsrfFilter>()
            .WithSummary("Log out")
            .WithDescription("Revokes the cookie's session and clears the cookie. Also 204 without a cookie or with an unknown one, " +
                "so a client can always call it. Access tokens already issued stay valid until `exp` elsewhere.")
            .ReadsRefreshCookie(required: false, "Its session is revoked; absent or unknown is fine.")
            .RequiresCsrfHeader()
            .WithResponseDescription(204, "Logged out.")
            .ClearsRefreshCookie(204);
        auth.MapPost("/logout-all", LogoutAll).WithName("LogoutAll").RequireAuthorization()
            .WithSummary("Log out everywhere")
            .WithDescription("Revokes every session of the signed-in user, this one included, and clears this browser's cookie.")
            .WithResponseDescription(204, "Every session is revoked.")
            .ClearsRefreshCookie(204);

        var sessions = auth.MapGroup("/sessions").RequireAuthorization();
        sessions.MapGet("", ListSessions).WithName("ListSessions")
            .WithSummary("List the signed-in user's sessions")
            .WithDescription("Every live session of the caller (not revoked, not expired), most recently used first.")
            .WithResponseDescription(200, "The live sessions; `current` marks the caller's own.");
        sessions.MapDelete("/{id}", DeleteSession).WithName("DeleteSession")
            .WithSummary("Revoke one session")
            .WithDescription("Revokes one of the caller's own live sessions, for example a lost device's; its refresh token stops " +
                "working at once.")
            .DescribesParameter("id", ParameterLocation.Path, "The session's id (`id` in the session list; the access token's `sid`).",
                "7d9e6f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6")
            .WithResponseDescription(204, "Revoked.")
            .ProducesError(404, ErrorCodes.NotFound, "No live session with that id belongs to the caller (or the id is not a UUID).");
        return app;
    }

    public static async Task<Results<Ok<AccessTokenResponse>, Ok<MfaRequiredResponse>, ProblemHttpResult>> Signin(
        SigninRequest request, HttpContext http, CredentialStore credentialStore, Argon2id hasher, SessionStart start,
        SigninLockout lockout, MfaChallengeStore mfaChallenges, AuthMetrics metrics, CancellationToken ct)
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
        if (attempt is { Admitted: false })
        {
            metrics.Signin(AuthMetrics.SigninLocked);
            return SigninLockout.Locked(http.Response, attempt);
        }
        var credentials = email is null ? null : await credentialStore.FindCredentialsAsync(email, ct);
        if (credentials is null)
        {
            // Unknown email: spend one hash anyway so the answer's timing does not reveal accounts.
            await hasher.VerifyDecoyAsync(request.Password!, ct);
            return await SigninFailedAsync(null);
        }
        var check = await hasher.CheckAsync(credentials.PasswordHash, request.Password!, ct);
        if (check == PasswordCheck.Failed)
            return await SigninFailedAsync(credentials.User.Id);

        // Only after the password was checked, so this does not reveal accounts either. The attempt
        // stays counted: only an issued session clears the count.
        if (start.Refusal(credentials.User, credentials.Disabled) is { } refused) return refused;

        if (check == PasswordCheck.MatchedNeedsRehash)
            await credentialStore.UpdatePasswordHashAsync(credentials.User.Id, credentials.PasswordHash, await hasher.HashAsync(request.Password!, ct), origin, ct);

        if (credentials.User.Mfa.Totp)
        {
            // No session, no cookie, no access token yet: a token for the second step (POST /auth/signin/mfa). The
            // email's count is not cleared either; only the session that step issues clears it.
            metrics.Signin(AuthMetrics.SigninMfaRequired);
            return TypedResults.Ok(new MfaRequiredResponse(true, await mfaChallenges.CreateAsync(credentials.User.Id, ct), MfaMethods.All));
        }

        return await start.StartAsync(http, credentials.User, AuthMethods.Password, AuthMetrics.SigninSucceeded, origin, ct);

        async Task<ProblemHttpResult> SigninFailedAsync(Guid? userId)
        {
            // Counted (above) and audited for unknown emails too: a lock must not tell whether the account exists.
            if (attempt is not null) await lockout.AuditFailedCheckAsync(AuditKinds.SigninFailed, email!, userId, attempt, origin);
            metrics.Signin(AuthMetrics.SigninInvalidCredentials);
            return Problems.Create(401, ErrorCodes.InvalidCredentials, "Invalid email or password");
        }
    }

    public static async Task<Results<Ok<AccessTokenResponse>, ProblemHttpResult>> Refresh(
        HttpContext http, RefreshRotation rotation, AccessTokenIssuer issuer, RefreshCookie cookie, SessionCache sessionCache, AuthMetrics metrics,
        CancellationToken ct)
    {
        var presented = cookie.Read(http.Request);
        if (string.IsNullOrEmpty(presented))
            return Problems.Create(401, ErrorCodes.RefreshTokenMissing, "No refresh token cookie");

        var result = await rotation.RotateAsync(presented, RequestOrigin.From(http), ct);
        metrics.Refresh(result);
        switch (result)
        {
            case RefreshResult.Renewed renewed: // rotated, or a retry within the grace window
                cookie.Write(http.Response, renewed.RefreshToken, renewed.SessionExpiresAt);
                return SessionStart.TokenResponse(http, issuer.Issue(renewed.User, renewed.SessionId, renewed.Amr));
            case RefreshResult.Conflict:
                http.Response.Headers.RetryAfter = "1";
                return Problems.Create(409, ErrorCodes.RefreshConflict, "A refresh of this session is in progress, retry shortly");
            case RefreshResult.Reused: // revoked, audited and the owner mailed, all in the rotation's transaction
                sessionCache.Clear(); // the endpoint keeps the cache otherwise (KeepsSessionCache): the revocation shows here at once
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
        if (RefreshToken.TryParse(presented, out var token)) await sessions.RevokeByRefreshTokenAsync(token, RequestOrigin.From(http), ct);
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
}
