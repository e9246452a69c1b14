using AuthService.Audit;
using AuthService.Docs;
using AuthService.Http;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Accounts;

/// <summary>Self-service email change: asked for while signed in, confirmed by the link mailed to the new address.</summary>
internal static class EmailChangeEndpoints
{
    // The same answer whether or not the new address has an account; the lookup happens after answering.
    private static readonly MessageResponse ChangeAccepted = new("Check the new address's inbox to confirm the change.");

    public static IEndpointRouteBuilder MapEmailChange(this IEndpointRouteBuilder app)
    {
        var email = app.MapGroup("/auth/email").WithTags("Accounts");
        email.MapPost("/change", Change).WithName("ChangeEmail").RequireAuthorization()
            .RequireRateLimiting(RateLimits.Credentials) // it checks a password
            .WithSummary("Ask to change the email address")
            .WithDescription("Checks the password (counted toward the current email's lockout like a signin), then queues a " +
                "confirmation email to the new address whose link is `{Auth:AppBaseUrl}/confirm-email-change?token=…` (1 hour, " +
                "single use) and a notice to the current one. When the new address already has an account the answer is the same " +
                "202 and that account's owner is mailed a notice instead; the lookup happens after answering. At most one mail " +
                "of each kind per address per `Email:MinIntervalPerAddress`.")
            .WithResponseDescription(202, "Accepted: confirm from the new inbox. The same answer whether or not the new address is taken.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.newEmail`: `required`, `invalid_format`, `unchanged`; " +
                "`errors.password`: `required`.")
            .ProducesError(401, ErrorCodes.InvalidCredentials, "The password is wrong (counted toward the lockout).")
            .ProducesError(429, ErrorCodes.AccountLocked);
        email.MapPost("/confirm", Confirm).WithName("ConfirmEmailChange").RequireRateLimiting(RateLimits.Credentials)
            .WithSummary("Confirm an email change")
            .WithDescription("Moves the account to the new address, verified, with the token of the emailed link (no bearer " +
                "needed). Single use. Every session of the account is revoked (the link carries no session, so none is kept), " +
                "its other open email links are voided, the sign-in lockout follows the new address and the old address is mailed " +
                "a notice.")
            .WithResponseDescription(200, "Changed: the user with the new email, `emailVerified: true`. Sign in again.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.token`: `required`.")
            .ProducesError(400, ErrorCodes.InvalidToken, "The token is unknown, used, expired, voided by a password change, or the " +
                "new address got an account meanwhile.");
        return app;
    }

    public static async Task<Results<Accepted<MessageResponse>, ProblemHttpResult>> Change(
        EmailChangeRequest request, HttpContext http, PasswordReentry passwordReentry, EmailChangeStore store,
        BackgroundWorkQueue background, CancellationToken ct)
    {
        var caller = http.GetAuthenticatedUser();
        var errors = new Dictionary<string, string[]>();
        var newEmail = EmailAddress.Normalize(request.NewEmail);
        if (newEmail is null) errors["newEmail"] = [request.NewEmail is null ? FieldErrors.Required : FieldErrors.InvalidFormat];
        else if (newEmail == caller.User.Email) errors["newEmail"] = [FieldErrors.Unchanged];
        if (string.IsNullOrEmpty(request.Password)) errors["password"] = [FieldErrors.Required];
        if (errors.Count > 0) return Problems.Validation(errors);

        var reentry = await passwordReentry.CheckAsync(http, caller, request.Password!, AuditKinds.EmailChangeFailed, "The password is not correct", ct);
        if (reentry.Refusal is { } refused) return refused;

        var origin = RequestOrigin.From(http);
        var user = caller.User;
        background.Enqueue("email-change-request", token => store.RequestAsync(user.Id, user.Email, newEmail!, origin, token));
        return TypedResults.Accepted((string?)null, ChangeAccepted);
    }

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> Confirm(
        ConfirmEmailChangeRequest request, HttpContext http, EmailChangeStore store, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Token))
            return Problems.Validation(new Dictionary<string, string[]> { ["token"] = [FieldErrors.Required] });
        if (!OpaqueToken.LooksValid(request.Token) || await store.ConfirmAsync(request.Token, RequestOrigin.From(http), ct) is not { } user)
            return Problems.Create(400, ErrorCodes.InvalidToken, "The email change link is invalid, used or expired, or the address is taken");
        return TypedResults.Ok(user);
    }
}
