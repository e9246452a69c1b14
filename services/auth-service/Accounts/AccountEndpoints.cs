using AuthService.Docs;
using AuthService.Http;
using AuthService.Passwords;
using AuthService.Sessions;
using AuthService.Shared;
using AuthService.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Accounts;

/// <summary>Signup, email verification and the caller's own profile.</summary>
internal static class AccountEndpoints
{
    // One answer whether or not the address already has an account: signup must not reveal accounts.
    private static readonly MessageResponse SignupAccepted = new("Check your inbox to verify your email address.");
    private static readonly MessageResponse ResendAccepted = new("If the address has an unverified account, a new verification email is on its way.");

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth").WithTags("Accounts");
        auth.MapPost("/signup", Signup).WithName("Signup").RequireRateLimiting(RateLimits.Credentials).KeepsSessionCache()
            .WithSummary("Sign up")
            .WithDescription("Creates an unverified account and queues a verification email whose link is " +
                "`{Auth:AppBaseUrl}/verify-email?token=…`. When the address already has an account the answer is the same 202 " +
                "and its owner is mailed a notice instead, so the answer never reveals an account. Signing up again on an " +
                "unverified address voids its older links (see verify-email).")
            .WithResponseDescription(202, "Accepted: check the inbox. The same answer whether or not the address already had an account.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.email`: `required`, `invalid_format`; `errors.password`: `required`, " +
                "`too_short`, `too_long`, `too_common`, `contains_email`; `errors.displayName`: `too_short`, `too_long`, `invalid_format`.");
        auth.MapPost("/verify-email", VerifyEmail).WithName("VerifyEmail")
            .RequireRateLimiting(RateLimits.Credentials) // after a repeated signup it checks a password
            .WithSummary("Verify an email address")
            .WithDescription("Marks the address verified with the token of its emailed link. The link opens a page that POSTs " +
                "the token: a GET never acts, since mail scanners prefetch links. Single use. When the unverified address saw more " +
                "than one signup, somebody else may have signed up with it first, so the link then activates its own signup's " +
                "credential only together with that signup's `password`; a missing or wrong one leaves the link unused.")
            .WithResponseDescription(200, "Verified: the user, now with `emailVerified: true`. Sign in next.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.token`: `required`; `errors.password`: `required` (the address saw " +
                "more than one signup) or `mismatch` (not that signup's password).")
            .ProducesError(400, ErrorCodes.InvalidToken, "The token is unknown, used, expired, or voided by a newer signup or a password change.");
        auth.MapPost("/resend-verification", ResendVerification).WithName("ResendVerification").RequireRateLimiting(RateLimits.Credentials).KeepsSessionCache()
            .WithSummary("Resend the verification email")
            .WithDescription("Queues a new verification email when the address has an unverified account; at most one per " +
                "`Email:MinIntervalPerAddress`. The answer is the same whatever the address, and the lookup happens after it.")
            .WithResponseDescription(202, "Accepted, always (for a well-formed address).")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.email`: `required`, `invalid_format`.");

        var me = auth.MapGroup("/me").RequireAuthorization();
        me.MapGet("", GetMe).WithName("GetMe")
            .WithSummary("Get the signed-in user")
            .WithDescription("The caller's user object. The token's session is checked on every call, so a revoked session answers " +
                "401 here at once, while other services accept its access token until `exp`.")
            .WithResponseDescription(200, "The signed-in user.");
        me.MapPatch("", UpdateMe).WithName("UpdateMe")
            .WithSummary("Change the display name")
            .WithDescription("Sets the caller's display name.")
            .WithResponseDescription(200, "The updated user.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.displayName`: `required`, `too_short`, `too_long`, `invalid_format`.");
        return app;
    }

    public static async Task<Results<Accepted<MessageResponse>, ProblemHttpResult>> Signup(
        SignupRequest request, HttpContext http, PasswordPolicy policy, Argon2id hasher, AccountStore store, AuthMetrics metrics, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var email = EmailAddress.Normalize(request.Email);
        if (email is null) errors["email"] = [request.Email is null ? FieldErrors.Required : FieldErrors.InvalidFormat];
        if (request.Password is null) errors["password"] = [FieldErrors.Required];
        else if (policy.Check(request.Password, email) is { Count: > 0 } passwordErrors) errors["password"] = [.. passwordErrors];
        if (FieldErrors.CheckDisplayName(request.DisplayName, out var displayName) is { } nameError) errors["displayName"] = [nameError];
        if (errors.Count > 0) return Problems.Validation(errors);

        // Hash before looking at the table: a taken email costs the same time as a new one.
        var hash = await hasher.HashAsync(request.Password!, ct);
        await store.SignupAsync(email!, hash, displayName, RequestOrigin.From(http), ct);
        metrics.SignupAccepted();
        return TypedResults.Accepted((string?)null, SignupAccepted);
    }

    /// <summary>
    /// Single use. When the unverified address saw more than one signup, somebody else may have signed
    /// up with it first (pre-account hijack): then the link activates its signup's credential only
    /// for whoever also knows that signup's password, and a missing or wrong password leaves the link
    /// unused (400 validation_failed, errors.password required|mismatch).
    /// </summary>
    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> VerifyEmail(
        VerifyEmailRequest request, HttpContext http, Argon2id hasher, AccountStore store, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Token))
            return Problems.Validation(new Dictionary<string, string[]> { ["token"] = [FieldErrors.Required] });
        if (!OpaqueToken.LooksValid(request.Token) || await store.FindVerifyLinkAsync(request.Token, ct) is not { } link)
            return InvalidVerifyToken();
        var proven = false;
        if (link.NeedsPassword)
        {
            if (string.IsNullOrEmpty(request.Password)) return PasswordError(FieldErrors.Required);
            if (!await hasher.VerifyAsync(link.PasswordHash, request.Password, ct)) return PasswordError(FieldErrors.Mismatch);
            proven = true;
        }
        var (outcome, user) = await store.VerifyEmailAsync(link, proven, RequestOrigin.From(http), ct);
        return outcome switch
        {
            VerifyOutcome.Verified => TypedResults.Ok(user!),
            VerifyOutcome.PasswordRequired => PasswordError(FieldErrors.Required), // a second signup arrived meanwhile
            _ => InvalidVerifyToken(),
        };
    }

    private static ProblemHttpResult InvalidVerifyToken() =>
        Problems.Create(400, ErrorCodes.InvalidToken, "The verification link is invalid, used or expired");

    private static ProblemHttpResult PasswordError(string code) =>
        Problems.Validation(new Dictionary<string, string[]> { ["password"] = [code] });

    public static Results<Accepted<MessageResponse>, ProblemHttpResult> ResendVerification(
        EmailRequest request, AccountStore store, BackgroundWorkQueue background)
    {
        var email = EmailAddress.Normalize(request.Email);
        if (email is null)
            return Problems.Validation(new Dictionary<string, string[]> { ["email"] = [request.Email is null ? FieldErrors.Required : FieldErrors.InvalidFormat] });
        // After answering, so the answer's timing does not depend on whether the account exists.
        background.Enqueue("resend-verification", ct => store.ResendVerificationAsync(email, ct));
        return TypedResults.Accepted((string?)null, ResendAccepted);
    }

    public static Ok<UserResponse> GetMe(HttpContext http) => TypedResults.Ok(http.GetAuthenticatedUser().User);

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> UpdateMe(UpdateProfileRequest request, HttpContext http, AccountStore store, CancellationToken ct)
    {
        string? trimmed = null;
        var error = request.DisplayName is null ? FieldErrors.Required : FieldErrors.CheckDisplayName(request.DisplayName, out trimmed);
        if (error is not null) return Problems.Validation(new Dictionary<string, string[]> { ["displayName"] = [error] });
        var user = await store.UpdateDisplayNameAsync(http.GetAuthenticatedUser().User.Id, trimmed, ct);
        return user is null ? Problems.Unauthorized() : TypedResults.Ok(user);
    }
}
