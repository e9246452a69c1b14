using AuthService.Http;
using AuthService.Passwords;
using AuthService.Sessions;
using AuthService.Shared;

namespace AuthService.Accounts;

/// <summary>
/// The signed-in caller typing their password again before a sensitive change (password, email, deletion, turning TOTP
/// off). A guess like a signin: counted first against the caller's email (<see cref="SigninLockout"/>), refused unchecked
/// while it is locked, and a wrong one audited as <c>failureKind</c>. It issues no session, so it never clears the count.
/// </summary>
internal sealed class PasswordReentry(PasswordStore passwords, Argon2id hasher, SigninLockout lockout)
{
    /// <summary>
    /// The attempt (a second factor asked for next counts under it) and, when the password was not accepted, the answer:
    /// 429 while locked, 401 <c>invalid_credentials</c> with <paramref name="wrongPasswordDetail"/> for a wrong password.
    /// </summary>
    public async Task<PasswordReentryResult> CheckAsync(HttpContext http, AuthenticatedUser caller, string password, string failureKind,
        string wrongPasswordDetail, CancellationToken ct)
    {
        var attempt = await lockout.BeginAttemptAsync(caller.User.Email, ct);
        if (!attempt.Admitted) return new(attempt, SigninLockout.Locked(http.Response, attempt));
        var hash = await passwords.FindPasswordHashAsync(caller.User.Id, ct);
        if (hash is not null && await hasher.VerifyAsync(hash, password, ct)) return new(attempt, null);
        await lockout.AuditFailedCheckAsync(failureKind, caller.User.Email, caller.User.Id, attempt, RequestOrigin.From(http), caller.SessionId);
        return new(attempt, Problems.Create(401, ErrorCodes.InvalidCredentials, wrongPasswordDetail));
    }
}
