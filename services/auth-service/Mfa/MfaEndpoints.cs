using AuthService.Accounts;
using AuthService.Audit;
using AuthService.Docs;
using AuthService.Http;
using AuthService.Options;
using AuthService.Sessions;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace AuthService.Mfa;

/// <summary>The signed-in user's TOTP and recovery codes (API.md, "Second factors").</summary>
internal static class MfaEndpoints
{
    public static IEndpointRouteBuilder MapMfa(this IEndpointRouteBuilder app)
    {
        var mfa = app.MapGroup("/auth/mfa").WithTags("Second factors").RequireAuthorization();
        mfa.MapPost("/totp/setup", Setup).WithName("SetupTotp")
            .WithSummary("Start a TOTP setup")
            .WithDescription("Creates a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s) for an authenticator app, encrypted at rest " +
                "under the key-encryption key. It stays pending, and signin unchanged, until POST /auth/mfa/totp/confirm proves the app " +
                "has it; a new setup replaces a pending one.")
            .WithResponseDescription(200, "The pending secret: base32, as an `otpauth://` URI, and that URI as a QR code (SVG).")
            .ProducesError(409, ErrorCodes.TotpEnabled, "TOTP is on already; turn it off first.");
        mfa.MapPost("/totp/confirm", Confirm).WithName("ConfirmTotp").RequireRateLimiting(RateLimits.Credentials)
            .WithSummary("Turn TOTP on")
            .WithDescription("Checks a code of the pending secret (±1 step of 30 s; a code is accepted once) and turns TOTP on: from " +
                "then on signin asks for a code after the password. Answers ten single-use recovery codes, shown this once (only " +
                "their hashes are kept). The owner is mailed.")
            .WithResponseDescription(200, "TOTP is on; keep the recovery codes somewhere safe.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.code`: `required`.")
            .ProducesError(401, ErrorCodes.MfaInvalid, "The code is wrong, outside ±1 step, or was used already; TOTP stays off.")
            .ProducesError(409, ErrorCodes.TotpEnabled, "TOTP is on already.")
            .ProducesError(409, ErrorCodes.TotpNotEnabled, "No setup is pending: call POST /auth/mfa/totp/setup first.");
        mfa.MapDelete("/totp", Disable).WithName("DisableTotp").RequireRateLimiting(RateLimits.Credentials)
            .WithSummary("Turn TOTP off")
            .WithDescription("Needs the password (counted toward the email's lockout like a signin) and a current TOTP code or an " +
                "unused recovery code (a wrong one counts too). Removes the secret and voids every recovery code; the owner is mailed.")
            .WithResponseDescription(204, "TOTP is off; signin needs only the password again.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.password`, `errors.code`: `required`.")
            .ProducesError(401, ErrorCodes.InvalidCredentials, "The password is wrong (counted toward the lockout).")
            .ProducesError(401, ErrorCodes.MfaInvalid, "The code is wrong, replayed or used (counted toward the lockout).")
            .ProducesError(409, ErrorCodes.TotpNotEnabled, "TOTP is off.")
            .ProducesError(429, ErrorCodes.AccountLocked);
        mfa.MapPost("/recovery-codes", Regenerate).WithName("RegenerateRecoveryCodes").RequireRateLimiting(RateLimits.Credentials)
            .WithSummary("Replace the recovery codes")
            .WithDescription("Needs a current TOTP code or an unused recovery code (a wrong one counts toward the email's lockout). " +
                "Answers ten new recovery codes, shown this once; every earlier one stops working. The owner is mailed.")
            .WithResponseDescription(200, "The new recovery codes.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.code`: `required`.")
            .ProducesError(401, ErrorCodes.MfaInvalid, "The code is wrong, replayed or used (counted toward the lockout).")
            .ProducesError(409, ErrorCodes.TotpNotEnabled, "TOTP is off, so there are no recovery codes.")
            .ProducesError(429, ErrorCodes.AccountLocked);
        return app;
    }

    public static async Task<Results<Ok<TotpSetupResponse>, ProblemHttpResult>> Setup(HttpContext http, MfaStore store,
        IOptions<EmailOptions> email, CancellationToken ct)
    {
        var caller = http.GetAuthenticatedUser();
        if (caller.User.Mfa.Totp || await store.BeginSetupAsync(caller.User.Id, ct) is not { } secret) return TotpAlreadyOn();
        var base32 = TotpCodes.Base32(secret);
        var uri = TotpEnrollment.OtpAuthUri(email.Value.ProductName, caller.User.Email, base32);
        return TypedResults.Ok(new TotpSetupResponse(base32, uri, TotpEnrollment.QrSvg(uri)));
    }

    public static async Task<Results<Ok<RecoveryCodesResponse>, ProblemHttpResult>> Confirm(MfaCodeRequest request, HttpContext http,
        MfaStore store, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Code)) return CodeRequired();
        var caller = http.GetAuthenticatedUser();
        var (outcome, codes) = await store.ConfirmAsync(caller.User, request.Code, RequestOrigin.From(http), ct);
        return outcome switch
        {
            TotpConfirmOutcome.Enabled => TypedResults.Ok(new RecoveryCodesResponse(codes)),
            TotpConfirmOutcome.AlreadyEnabled => TotpAlreadyOn(),
            TotpConfirmOutcome.NotPending => TotpOff(),
            _ => MfaInvalid(),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Disable([FromBody] DisableTotpRequest request, HttpContext http,
        MfaStore store, PasswordReentry passwordReentry, SigninLockout lockout, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.Password)) errors["password"] = [FieldErrors.Required];
        if (string.IsNullOrEmpty(request.Code)) errors["code"] = [FieldErrors.Required];
        if (errors.Count > 0) return Problems.Validation(errors);

        var caller = http.GetAuthenticatedUser();
        if (!caller.User.Mfa.Totp) return TotpOff();
        var origin = RequestOrigin.From(http);
        // The code counts under the password's attempt: one guess of both.
        var reentry = await passwordReentry.CheckAsync(http, caller, request.Password!, AuditKinds.TotpDisableFailed, "The password is not correct", ct);
        if (reentry.Refusal is { } refused) return refused;
        if (await CheckCodeAsync(request.Code, caller, store, lockout, reentry.Attempt, origin, ct) is not { } method) return MfaInvalid();
        return await store.DisableAsync(caller.User, method, origin, ct) ? TypedResults.NoContent() : TotpOff();
    }

    public static async Task<Results<Ok<RecoveryCodesResponse>, ProblemHttpResult>> Regenerate(MfaCodeRequest request, HttpContext http,
        MfaStore store, SigninLockout lockout, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Code)) return CodeRequired();
        var caller = http.GetAuthenticatedUser();
        if (!caller.User.Mfa.Totp) return TotpOff();
        var origin = RequestOrigin.From(http);
        var attempt = await lockout.BeginAttemptAsync(caller.User.Email, ct);
        if (!attempt.Admitted) return SigninLockout.Locked(http.Response, attempt);
        if (await CheckCodeAsync(request.Code, caller, store, lockout, attempt, origin, ct) is not { } method) return MfaInvalid();
        return await store.RegenerateRecoveryCodesAsync(caller.User, method, origin, ct) is { } codes
            ? TypedResults.Ok(new RecoveryCodesResponse(codes))
            : TotpOff();
    }

    /// <summary>
    /// The second factor a sensitive operation asks for when TOTP is on: a current TOTP code or an unused recovery code,
    /// used up when it matches. A wrong one is audited under the attempt the caller has already counted (a wrong code
    /// costs the email's lockout budget like a wrong password). Null when wrong.
    /// </summary>
    public static async Task<string?> CheckCodeAsync(string? code, AuthenticatedUser caller, MfaStore store, SigninLockout lockout,
        LockoutAttempt attempt, RequestOrigin origin, CancellationToken ct)
    {
        if (await store.UseCodeAsync(caller.User.Id, code, ct) is { } method) return method;
        await lockout.AuditFailedCheckAsync(AuditKinds.MfaFailed, caller.User.Email, caller.User.Id, attempt, origin, caller.SessionId);
        return null;
    }

    public static ProblemHttpResult MfaInvalid() =>
        Problems.Create(401, ErrorCodes.MfaInvalid, "The second-factor code or MFA token is not valid");

    /// <summary>400 validation_failed, <c>errors.code</c> = required: a sensitive operation of an account with TOTP on, without a code.</summary>
    public static ProblemHttpResult CodeRequired() =>
        Problems.Validation(new Dictionary<string, string[]> { ["code"] = [FieldErrors.Required] });

    private static ProblemHttpResult TotpAlreadyOn() => Problems.Create(409, ErrorCodes.TotpEnabled, "TOTP is already on");

    private static ProblemHttpResult TotpOff() => Problems.Create(409, ErrorCodes.TotpNotEnabled, "TOTP is not on");
}
