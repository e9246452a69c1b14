using System.Reflection;
using AuthService.Http;

namespace AuthService.Docs;

/// <summary>
/// Every code of <see cref="ErrorCodes"/> as the OpenAPI document explains it (API.md, "Errors"). Titles
/// are what the service writes; a code that has no entry here stops the document from being built.
/// </summary>
public static class ProblemCatalog
{
    public static readonly IReadOnlyDictionary<string, ProblemDoc> Codes = new Dictionary<string, ProblemDoc>
    {
        [ErrorCodes.ValidationFailed] = new(400, "The request has invalid fields",
            "A field is missing or invalid; `errors` maps each field to its codes."),
        [ErrorCodes.MalformedRequest] = new(400, "The request body is not valid JSON of the expected shape",
            "The body is missing, is not JSON, or has a member of the wrong type."),
        [ErrorCodes.InvalidToken] = new(400, "The verification link is invalid, used or expired",
            "The emailed token is unknown, used, expired or voided."),
        [ErrorCodes.InvalidCredentials] = new(401, "Invalid email or password",
            "Wrong email or password; an unknown email gets the same answer."),
        [ErrorCodes.Unauthorized] = new(401, "A valid access token is required",
            "The bearer token is missing, expired, badly signed, for another issuer or audience, or its session is revoked.",
            WwwAuthenticate: true),
        [ErrorCodes.RefreshTokenMissing] = new(401, "No refresh token cookie", "The request carries no refresh cookie."),
        [ErrorCodes.RefreshTokenInvalid] = new(401, "The refresh token is invalid or expired",
            "The refresh token is unknown or expired, or its session was revoked."),
        [ErrorCodes.RefreshTokenReused] = new(401, "Refresh token reuse detected; the session was revoked",
            "A retired refresh token was presented outside the grace window: the whole session is revoked and its owner mailed."),
        [ErrorCodes.RefreshConflict] = new(409, "A refresh of this session is in progress, retry shortly",
            "Another refresh of the same session held it for longer than `Auth:RefreshLockTimeout`; retry after `Retry-After`.",
            RetryAfter: true),
        [ErrorCodes.EmailNotVerified] = new(403, "Verify your email address before signing in",
            "The password was right but the email is not verified yet."),
        [ErrorCodes.AccountDisabled] = new(403, "This account is disabled",
            "The password was right, but an admin disabled the account."),
        [ErrorCodes.Forbidden] = new(403, "The admin role is required",
            "The bearer token is valid, but its user does not hold the role the endpoint needs (now: roles are read on every call)."),
        [ErrorCodes.MfaInvalid] = new(401, "The second-factor code or MFA token is not valid",
            "A wrong, replayed or expired TOTP or recovery code, or an unknown, used or expired `mfaToken`."),
        [ErrorCodes.TotpEnabled] = new(409, "TOTP is already on",
            "A TOTP setup was asked for while TOTP is on; turn it off first (DELETE /auth/mfa/totp)."),
        [ErrorCodes.TotpNotEnabled] = new(409, "TOTP is not on",
            "There is no pending setup to confirm, or TOTP is off so there is nothing to turn off or regenerate."),
        [ErrorCodes.EmailTaken] = new(409, "A user with this email exists",
            "Admin API only: the address belongs to an account already."),
        [ErrorCodes.CsrfFailed] = new(403, "Cross-site request refused",
            "Neither `X-Requested-With` nor `X-CSRF-Token` was sent, or the `Origin` (or `Referer`) is not one of `Auth:AllowedOrigins`."),
        [ErrorCodes.NotFound] = new(404, "Not found", "No such route or resource."),
        [ErrorCodes.MethodNotAllowed] = new(405, "Method not allowed", "The route exists, but not for this method."),
        [ErrorCodes.PayloadTooLarge] = new(413, "Request body too large", "The body is larger than 16 KiB."),
        [ErrorCodes.UnsupportedMediaType] = new(415, "Request body must be application/json in UTF-8",
            "The body is not `application/json`, or declares a charset other than UTF-8."),
        [ErrorCodes.AccountLocked] = new(429, "Too many failed signins for this email, try again later",
            "Too many failed password checks for this email (`Auth:Lockout:*`); the same answer whether or not the account exists.",
            RetryAfter: true),
        [ErrorCodes.RateLimited] = new(429, "Too many requests, slow down",
            "Too many requests from this client address (`RateLimits:*`).", RetryAfter: true),
        [ErrorCodes.ServiceUnavailable] = new(503, "The service is temporarily unavailable",
            "The database is unreachable, the service is still starting, or the password-hashing queue is full.", RetryAfter: true),
        [ErrorCodes.InternalError] = new(500, "Internal error",
            "A bug. Details are logged under the `traceId`; the body never carries them."),
    };

    /// <summary>The values of every <see cref="ErrorCodes"/> constant, in declaration order.</summary>
    public static IReadOnlyList<string> AllCodes { get; } = [.. typeof(ErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)];

    public static ProblemDoc For(string code) => Codes.TryGetValue(code, out var doc)
        ? doc
        : throw new InvalidOperationException($"Error code '{code}' has no entry in {nameof(ProblemCatalog)}.");
}
