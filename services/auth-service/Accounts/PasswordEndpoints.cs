using AuthService.Audit;
using AuthService.Http;
using AuthService.Passwords;
using AuthService.Sessions;
using AuthService.Shared;
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
        passwords.MapPost("/forgot", Forgot).WithName("ForgotPassword").RequireRateLimiting(RateLimits.Credentials);
        passwords.MapPost("/reset", Reset).WithName("ResetPassword").RequireRateLimiting(RateLimits.Credentials);
        passwords.MapPost("/change", Change).WithName("ChangePassword").RequireAuthorization()
            .RequireRateLimiting(RateLimits.Credentials); // it checks a password, so it is a guessing oracle too
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
        ResetPasswordRequest request, HttpContext http, PasswordStore store, PasswordPolicy policy, Argon2id hasher, CancellationToken ct)
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
        return await store.ResetAsync(request.Token!, target, hash, RequestOrigin.From(http), ct)
            ? TypedResults.NoContent()
            : InvalidToken();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Change(
        ChangePasswordRequest request, HttpContext http, PasswordStore store, PasswordPolicy policy, Argon2id hasher,
        SigninLockout lockout, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.CurrentPassword)) errors["currentPassword"] = [FieldErrors.Required];
        if (request.NewPassword is null) errors["newPassword"] = [FieldErrors.Required];
        if (errors.Count > 0) return Problems.Validation(errors);

        var caller = http.GetAuthenticatedUser();
        // Checking the current password is a guess like a signin: counted first against the same
        // email (SigninLockout), refused unchecked while it is locked. A change issues no session,
        // so it does not clear the count.
        var attempt = await lockout.BeginAttemptAsync(caller.User.Email, ct);
        if (!attempt.Admitted) return SigninLockout.Locked(http.Response, attempt);
        var currentHash = await store.FindPasswordHashAsync(caller.User.Id, ct);
        if (currentHash is null || !await hasher.VerifyAsync(currentHash, request.CurrentPassword!, ct))
        {
            await lockout.AuditFailedCheckAsync(AuditKinds.PasswordChangeFailed, caller.User.Email, caller.User.Id, attempt,
                RequestOrigin.From(http), caller.SessionId);
            return Problems.Create(401, ErrorCodes.InvalidCredentials, "The current password is not correct");
        }
        if (policy.Check(request.NewPassword!, caller.User.Email) is { Count: > 0 } passwordErrors)
            return Problems.Validation(new Dictionary<string, string[]> { ["newPassword"] = [.. passwordErrors] });

        await store.ChangeAsync(caller.User, caller.SessionId, await hasher.HashAsync(request.NewPassword!, ct), RequestOrigin.From(http), ct);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult InvalidToken() =>
        Problems.Create(400, ErrorCodes.InvalidToken, "The reset link is invalid, used or expired");
}
