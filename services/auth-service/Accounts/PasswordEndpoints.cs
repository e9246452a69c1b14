using AuthService.Audit;
using AuthService.Docs;
using AuthService.Http;
using AuthService.Mfa;
using AuthService.Passwords;
using AuthService.Sessions;
using AuthService.Shared;
using AuthService.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Accounts;

/// <summary>Forgot / reset (by emailed token) and change (signed in) password.</summary>
internal static class PasswordEndpoints
{
    // Same answer whether or not the account exists; the lookup and the mail happen after answering.
    private static readonly MessageResponse ForgotAccepted = new("If an account exists for that address, a password reset email is on its way.");

    public static IEndpointRouteBuilder MapPasswords(this IEndpointRouteBuilder app)
    {
        var passwords = app.MapGroup("/auth/password").WithTags("Passwords");
        passwords.MapPost("/forgot", Forgot).WithName("ForgotPassword").RequireRateLimiting(RateLimits.Credentials).KeepsSessionCache()
            .WithSummary("Request a password reset email")
            .WithDescription("Queues a reset email whose link is `{Auth:AppBaseUrl}/reset-password?token=…` when the address has an " +
                "account; at most one per `Email:MinIntervalPerAddress`, and only the newest link works. The answer is the same " +
                "whatever the address, and the lookup happens after it.")
            .WithResponseDescription(202, "Accepted, always (for a well-formed address).")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.email`: `required`, `invalid_format`.");
        passwords.MapGet("/policy", (PasswordPolicy policy) => TypedResults.Ok(policy.Rules)).WithName("GetPasswordPolicy")
            .WithSummary("The password rule")
            .WithDescription("The rule every new password must meet (signup, reset, change), so a form can state it before the first " +
                "try. Lengths count characters (code points) after NFKC normalization. A refused password is answered with the field " +
                "codes `too_short`, `too_long`, `too_common` and `contains_email`.")
            .WithResponseDescription(200, "The rule, as numbers and as a sentence to show.");
        passwords.MapPost("/reset", Reset).WithName("ResetPassword").RequireRateLimiting(RateLimits.Credentials)
            .WithSummary("Reset the password with an emailed token")
            .WithDescription("Sets a new password with the token of the newest reset link (single use). Every session of the account " +
                "is revoked, its other open email links are voided and the owner is mailed a notice. Resetting an unverified address " +
                "also verifies it and drops the display name of its unconfirmed signup.")
            .WithResponseDescription(204, "The password is replaced; sign in with it.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.token`: `required`; `errors.newPassword`: `required`, `too_short`, " +
                "`too_long`, `too_common`, `contains_email`.")
            .ProducesError(400, ErrorCodes.InvalidToken, "The token is unknown, used, expired, or not the newest reset link.");
        passwords.MapPost("/change", Change).WithName("ChangePassword").RequireAuthorization()
            .RequireRateLimiting(RateLimits.Credentials) // it checks a password, so it is a guessing oracle too
            .WithSummary("Change the password")
            .WithDescription("Replaces the signed-in user's password after checking the current one. Every other session is revoked " +
                "(this one stays) and open email links are voided; the owner is mailed. Checking the current password counts " +
                "toward the email's lockout like a signin. With TOTP on, `code` (a current TOTP code or an unused recovery code) is required too.")
            .WithResponseDescription(204, "Changed.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.currentPassword`: `required`; `errors.newPassword`: `required`, " +
                "`too_short`, `too_long`, `too_common`, `contains_email`; `errors.code`: `required` (TOTP is on).")
            .ProducesError(401, ErrorCodes.InvalidCredentials, "The current password is wrong (counted toward the lockout).")
            .ProducesError(401, ErrorCodes.MfaInvalid, "TOTP is on and `code` is wrong, replayed or used (counted toward the lockout).")
            .ProducesError(429, ErrorCodes.AccountLocked);
        return app;
    }

    public static Results<Accepted<MessageResponse>, ProblemHttpResult> Forgot(
        EmailRequest request, HttpContext http, PasswordStore store, BackgroundWorkQueue background)
    {
        var email = EmailAddress.Normalize(request.Email);
        if (email is null)
            return Problems.Validation(new Dictionary<string, string[]> { ["email"] = [request.Email is null ? FieldErrors.Required : FieldErrors.InvalidFormat] });
        var origin = RequestOrigin.From(http);
        background.Enqueue("password-reset-request", ct => store.RequestResetAsync(email, origin, ct));
        return TypedResults.Accepted((string?)null, ForgotAccepted);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Reset(
        ResetPasswordRequest request, HttpContext http, PasswordStore store, PasswordPolicy policy, Argon2id hasher, AuthMetrics metrics,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.Token)) errors["token"] = [FieldErrors.Required];
        if (request.NewPassword is null) errors["newPassword"] = [FieldErrors.Required];
        if (errors.Count > 0) return Problems.Validation(errors);

        if (!OpaqueToken.LooksValid(request.Token) || await store.FindResetTargetAsync(request.Token!, ct) is not { } target)
            return InvalidToken();
        if (policy.Check(request.NewPassword!, target.Email) is { Count: > 0 } passwordErrors)
            return Problems.Validation(new Dictionary<string, string[]> { ["newPassword"] = [.. passwordErrors] });

        var hash = await hasher.HashAsync(request.NewPassword!, ct);
        if (!await store.ResetAsync(request.Token!, target, hash, RequestOrigin.From(http), ct)) return InvalidToken();
        metrics.PasswordReset();
        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Change(
        ChangePasswordRequest request, HttpContext http, PasswordStore store, PasswordPolicy policy, Argon2id hasher,
        PasswordReentry passwordReentry, SigninLockout lockout, MfaStore mfa, CancellationToken ct)
    {
        var caller = http.GetAuthenticatedUser();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.CurrentPassword)) errors["currentPassword"] = [FieldErrors.Required];
        if (request.NewPassword is null) errors["newPassword"] = [FieldErrors.Required];
        if (caller.User.Mfa.Totp && string.IsNullOrEmpty(request.Code)) errors["code"] = [FieldErrors.Required];
        if (errors.Count > 0) return Problems.Validation(errors);

        var reentry = await passwordReentry.CheckAsync(http, caller, request.CurrentPassword!, AuditKinds.PasswordChangeFailed,
            "The current password is not correct", ct);
        if (reentry.Refusal is { } refused) return refused;
        var attempt = reentry.Attempt;
        if (policy.Check(request.NewPassword!, caller.User.Email) is { Count: > 0 } passwordErrors)
            return Problems.Validation(new Dictionary<string, string[]> { ["newPassword"] = [.. passwordErrors] });
        // Checked last, so a refused new password does not use up the code; a wrong code costs this attempt like a wrong password.
        if (caller.User.Mfa.Totp && await MfaEndpoints.CheckCodeAsync(request.Code, caller, mfa, lockout, attempt, RequestOrigin.From(http), ct) is null)
            return MfaEndpoints.MfaInvalid();

        await store.ChangeAsync(caller.User, caller.SessionId, await hasher.HashAsync(request.NewPassword!, ct), RequestOrigin.From(http), ct);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult InvalidToken() =>
        Problems.Create(400, ErrorCodes.InvalidToken, "The reset link is invalid, used or expired");
}
