using AuthService.Audit;
using AuthService.Docs;
using AuthService.Http;
using AuthService.Sessions;
using AuthService.Shared;
using AuthService.Telemetry;
using AuthService.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Mfa;

/// <summary>POST /auth/signin/mfa: the second step of a signin whose account has TOTP on.</summary>
internal static class MfaSigninEndpoints
{
    public static IEndpointRouteBuilder MapMfaSignin(this IEndpointRouteBuilder app)
    {
        app.MapPost("/auth/signin/mfa", SigninMfa).WithName("SigninMfa").WithTags("Sessions").RequireRateLimiting(RateLimits.Credentials)
            .KeepsSessionCache()
            .WithSummary("Sign in: the second factor")
            .WithDescription("Completes a signin that answered `mfaRequired`: the `mfaToken` of that answer and either a current TOTP " +
                "`code` (±1 step of 30 s, each code accepted once) or an unused `recoveryCode` (case, hyphens and spaces do not " +
                "matter). Starts the session like POST /auth/signin, with `amr` `[\"pwd\",\"otp\",\"mfa\"]`. The `mfaToken` is single " +
                "use and lives 5 minutes; every wrong code counts toward the email's lockout, and the 5th voids the token.")
            .WithResponseDescription(200, "Signed in.")
            .SetsRefreshCookie(200)
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.mfaToken`: `required`; `errors.code`: `required` (neither `code` " +
                "nor `recoveryCode` sent); `errors.recoveryCode`: `invalid_format` (both sent).")
            .ProducesError(401, ErrorCodes.MfaInvalid, "The code is wrong, replayed or used, or the `mfaToken` is unknown, used, expired " +
                "or void; a wrong code is counted toward the lockout.")
            .ProducesError(429, ErrorCodes.AccountLocked);
        return app;
    }

    public static async Task<Results<Ok<AccessTokenResponse>, ProblemHttpResult>> SigninMfa(MfaSigninRequest request, HttpContext http,
        MfaChallengeStore challenges, SessionStart start, SigninLockout lockout, AuthMetrics metrics, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.MfaToken)) errors["mfaToken"] = [FieldErrors.Required];
        var useRecoveryCode = !string.IsNullOrEmpty(request.RecoveryCode);
        if (string.IsNullOrEmpty(request.Code) && !useRecoveryCode) errors["code"] = [FieldErrors.Required];
        if (!string.IsNullOrEmpty(request.Code) && useRecoveryCode) errors["recoveryCode"] = [FieldErrors.InvalidFormat];
        if (errors.Count > 0) return Problems.Validation(errors);

        var origin = RequestOrigin.From(http);
        if (!OpaqueToken.LooksValid(request.MfaToken) || await challenges.FindAsync(request.MfaToken!, ct) is not { } challenge)
            return Failed();
        // Like a password check: counted against the email first, refused unchecked while it is locked.
        var attempt = await lockout.BeginAttemptAsync(challenge.Email, ct);
        if (!attempt.Admitted)
        {
            metrics.Signin(AuthMetrics.SigninLocked);
            return SigninLockout.Locked(http.Response, attempt);
        }
        var result = await challenges.CompleteAsync(request.MfaToken!, useRecoveryCode ? request.RecoveryCode : request.Code,
            totpAllowed: !useRecoveryCode, origin, ct);
        if (result.User is null)
        {
            if (result.Failures > 0)
                await lockout.AuditFailedCheckAsync(AuditKinds.MfaFailed, challenge.Email, challenge.UserId, attempt, origin);
            return Failed();
        }

        return await start.StartAsync(http, result.User, AuthMethods.PasswordAndOtp, AuthMetrics.SigninSucceeded, origin, ct);

        ProblemHttpResult Failed()
        {
            metrics.Signin(AuthMetrics.SigninMfaFailed);
            return MfaEndpoints.MfaInvalid();
        }
    }
}
