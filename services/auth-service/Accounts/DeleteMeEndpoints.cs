using AuthService.Audit;
using AuthService.Docs;
using AuthService.Http;
using AuthService.Mfa;
using AuthService.Sessions;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace AuthService.Accounts;

/// <summary>DELETE /auth/me: the signed-in user deletes their own account.</summary>
internal static class DeleteMeEndpoints
{
    public static IEndpointRouteBuilder MapDeleteMe(this IEndpointRouteBuilder app)
    {
        app.MapDelete("/auth/me", DeleteMe).WithName("DeleteMe").WithTags("Accounts").RequireAuthorization()
            .RequireRateLimiting(RateLimits.Credentials) // it checks a password
            .WithSummary("Delete the signed-in account")
            .WithDescription("Checks the password (counted toward the email's lockout like a signin) and, when TOTP is on, `code` (a current " +
                "TOTP code or an unused recovery code), then deletes the account and " +
                "everything that references it in one transaction: sessions, refresh tokens, email links, pending signups and " +
                "unsent mails. The audit trail keeps the account's events under its id with ip, user agent and addresses removed. " +
                "The refresh cookie is cleared and a goodbye mail goes to the address, which can sign up again afterwards.")
            .WithResponseDescription(204, "Deleted.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.password`: `required`; `errors.code`: `required` (TOTP is on).")
            .ProducesError(401, ErrorCodes.InvalidCredentials, "The password is wrong (counted toward the lockout).")
            .ProducesError(401, ErrorCodes.MfaInvalid, "TOTP is on and `code` is wrong, replayed or used (counted toward the lockout).")
            .ProducesError(429, ErrorCodes.AccountLocked)
            .ClearsRefreshCookie(204);
        return app;
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteMe(
        [FromBody] DeleteMeRequest request, HttpContext http, PasswordReentry passwordReentry, SigninLockout lockout,
        AccountDeletion deletion, RefreshCookie cookie, NpgsqlDataSource dataSource, MfaStore mfa, TimeProvider clock, CancellationToken ct)
    {
        var caller = http.GetAuthenticatedUser();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.Password)) errors["password"] = [FieldErrors.Required];
        if (caller.User.Mfa.Totp && string.IsNullOrEmpty(request.Code)) errors["code"] = [FieldErrors.Required];
        if (errors.Count > 0) return Problems.Validation(errors);

        var reentry = await passwordReentry.CheckAsync(http, caller, request.Password!, AuditKinds.AccountDeleteFailed, "The password is not correct", ct);
        if (reentry.Refusal is { } refused) return refused;
        if (caller.User.Mfa.Totp && await MfaEndpoints.CheckCodeAsync(request.Code, caller, mfa, lockout, reentry.Attempt, RequestOrigin.From(http), ct) is null)
            return MfaEndpoints.MfaInvalid();

        await using (var conn = await dataSource.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await deletion.DeleteAsync(conn, tx, caller.User.Id, caller.User.Id, clock.GetUtcNow(), ct);
            await tx.CommitAsync(ct);
        }
        cookie.Clear(http.Response);
        return TypedResults.NoContent();
    }
}
