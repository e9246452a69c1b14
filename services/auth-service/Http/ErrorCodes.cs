namespace AuthService.Http;

/// <summary>The contract's machine-readable error codes (API.md, "Errors"), one place for all of them.</summary>
public static class ErrorCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string MalformedRequest = "malformed_request";
    public const string InvalidToken = "invalid_token";
    public const string InvalidCredentials = "invalid_credentials";
    public const string Unauthorized = "unauthorized";
    public const string RefreshTokenMissing = "refresh_token_missing";
    public const string RefreshTokenInvalid = "refresh_token_invalid";
    public const string RefreshTokenReused = "refresh_token_reused";
    public const string RefreshConflict = "refresh_conflict";
    public const string EmailNotVerified = "email_not_verified";
    /// <summary>403: signin of an account an admin disabled, answered only after the password was checked.</summary>
    public const string AccountDisabled = "account_disabled";
    /// <summary>403: a valid bearer that lacks the role (the admin API).</summary>
    public const string Forbidden = "forbidden";
    /// <summary>409: the admin API creating a user whose email exists (admins may know).</summary>
    public const string EmailTaken = "email_taken";
    /// <summary>401: a wrong, replayed or expired second-factor code or MFA token.</summary>
    public const string MfaInvalid = "mfa_invalid";
    /// <summary>409: a TOTP setup while TOTP is on already.</summary>
    public const string TotpEnabled = "totp_enabled";
    /// <summary>409: confirming without a pending setup, or turning off / regenerating codes while TOTP is off.</summary>
    public const string TotpNotEnabled = "totp_not_enabled";
    public const string CsrfFailed = "csrf_failed";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string AccountLocked = "account_locked";
    public const string RateLimited = "rate_limited";
    public const string ServiceUnavailable = "service_unavailable";
    public const string InternalError = "internal_error";

    /// <summary>Code and title for an error status the framework produced without a body.</summary>
    public static (string Code, string Title) ForStatus(int status) => status switch
    {
        400 => (MalformedRequest, "The request body is not valid JSON of the expected shape"),
        401 => (Unauthorized, "Authentication required"),
        403 => (CsrfFailed, "Forbidden"),
        404 => (NotFound, "Not found"),
        405 => (MethodNotAllowed, "Method not allowed"),
        413 => (PayloadTooLarge, "Request body too large"),
        415 => (UnsupportedMediaType, "Request body must be application/json"),
        429 => (RateLimited, "Too many requests"),
        503 => (ServiceUnavailable, "Service temporarily unavailable"),
        _ when status >= 500 => (InternalError, "Internal error"),
        _ => (MalformedRequest, "Bad request"),
    };
}
