using AuthService.Accounts;
using AuthService.Admin;
using AuthService.Email;
using AuthService.Passkeys;
using AuthService.Passwords;
using AuthService.Sessions;
using AuthService.Shared;
using AuthService.Tokens;

namespace AuthService.Docs;

/// <summary>
/// Descriptions and examples of every JSON body in the reference, applied by <see cref="SchemaDocsTransformer"/>.
/// A member named here that the type does not have stops the document from being built, so this list cannot
/// drift from the records silently.
/// </summary>
public static class SchemaCatalog
{
    private const string Email = "ada@example.com";
    private const string Password = "correct horse battery staple";
    private const string EmailToken = "q3nP0sV8wW7hY2cJ4kL6mN9bR1tX5zA8dF0gH3jK6lM";
    private const string UserId = "3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f";
    private const string Created = "2025-06-01T09:30:00+00:00";

    private const string PasswordRule =
        "At least `Auth:Password:MinLength` (default 15) and at most 128 characters after NFKC normalization; any printable " +
        "Unicode, spaces included; not a known common password and not containing the email's local part (field codes " +
        "`too_short`, `too_long`, `too_common`, `contains_email`).";

    private const string DisplayNameRule =
        "Trimmed; 1–100 characters; no control, format or invisible characters (what emoji sequences need is kept).";

    private static readonly PropertyDoc[] UserProperties =
    [
        new("id", "The user's id: the access token's `sub`.", UserId),
        new("email", "The normalized email address (trimmed, lower-cased).", Email),
        new("emailVerified", "Whether the address was verified; signin needs it.", true),
        new("displayName", "The name the user chose; null when none was set.", "Ada"),
        new("createdAt", "When the account was created (UTC).", Created),
        new("roles", "The roles the user holds (names matching `^[a-z][a-z0-9_.:-]{0,63}$`, at most 32); `[]` when none. Access " +
            "tokens carry them as `roles`; a change shows in tokens from the next refresh.", new[] { "admin" }),
        new("mfa", "The user's second factors: whether TOTP is on, and how many passkeys are registered.",
            new Dictionary<string, object?> { ["totp"] = false, ["passkeys"] = 0 }),
    ];

    private const string PasskeyChallengeId = "0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a5b";

    private static readonly Dictionary<string, object?> PasskeyAttestationExample = new()
    {
        ["id"] = "AbCdEfGh", ["rawId"] = "AbCdEfGh", ["type"] = "public-key",
        ["response"] = new Dictionary<string, object?>
        {
            ["attestationObject"] = "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YQ", ["clientDataJSON"] = "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0",
            ["transports"] = new[] { "internal" },
        },
        ["clientExtensionResults"] = new Dictionary<string, object?>(),
    };

    private static readonly Dictionary<string, object?> PasskeyAssertionExample = new()
    {
        ["id"] = "AbCdEfGh", ["rawId"] = "AbCdEfGh", ["type"] = "public-key",
        ["response"] = new Dictionary<string, object?>
        {
            ["authenticatorData"] = "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ", ["clientDataJSON"] = "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
            ["signature"] = "MEUCIQDd", ["userHandle"] = "PxwqTot9TGqeXxorPE1ebw",
        },
        ["clientExtensionResults"] = new Dictionary<string, object?>(),
    };
    private const string SensitiveCode =
        "Required when TOTP is on (`errors.code`: `required`), ignored otherwise: a current TOTP code (6 digits) or an unused " +
        "recovery code. A wrong one is 401 `mfa_invalid` and counts toward the email's lockout.";

    private const string MfaToken = "Zk2u7W0pQm4Lr8Xc1Vb5Ns9Ty3Ha6Jd0Fg2Ke4Mi7Po";

    private static readonly string[] RecoveryCodesExample =
    [
        "k7dq-2mxp-7rta-4wve", "b3nz-q6fj-6hyc-2lsu", "p5tw-7gek-3mra-7xdq", "u2hc-4vnb-6jzp-6fte", "x7ra-5kdm-2wqy-7ncg",
        "e4lp-6tzs-7bvh-3qmk", "m6fy-3cwa-5pdn-2rjx", "q6vk-7eht-4zsm-7bwa", "t3jn-2xqf-6ldr-5cye", "z7mb-4uwp-6kga-7hrs",
    ];

    private const string RolesRule = "Role names matching `^[a-z][a-z0-9_.:-]{0,63}$`, at most 32 (duplicates are folded).";

    private static readonly PropertyDoc[] AdminUserProperties =
    [
        .. UserProperties,
        new("disabled", "Whether an admin disabled the account.", true),
        new("disabledAt", "When it was disabled (UTC); null when it is not.", "2025-06-03T08:00:00+00:00"),
        new("lastSigninAt", "The last successful signin (UTC); null when never.", "2025-06-02T18:05:00+00:00"),
        new("activeSessions", "Live sessions (not revoked, not expired); 0 once disabled.", 0),
    ];

    public static readonly IReadOnlyDictionary<Type, SchemaDoc> Types = new Dictionary<Type, SchemaDoc>
    {
        [typeof(AdminUserResponse)] = new("A user as the admin API shows it: the user object and its standing.", AdminUserProperties),
        [typeof(AdminUserPage)] = new("One page of users, newest first.",
        [
            new("items", "The users of this page.", new[] { ExampleOf(AdminUserProperties) }),
            new("nextCursor", "Pass as `cursor` for the next page; null on the last page.", "AAYBn0T3kQAB2k3qZ8Wg3UuO0x2yF1bRwA"),
        ]),
        [typeof(CreateUserRequest)] = new("A new account created by an admin.",
        [
            new("email", "The address; normalized as at signup. 409 `email_taken` when an account has it.", Email, Required: true),
            new("password", $"Optional: without it, an invitation mail lets the user choose one. {PasswordRule}", Password),
            new("displayName", $"Optional. {DisplayNameRule}", "Ada"),
            new("roles", $"Optional. {RolesRule}", new[] { "support" }),
            new("emailVerified", "Optional, default false: whether the address counts as verified (signin needs it).", true),
        ]),
        [typeof(UpdateUserRequest)] = new("The fields to change; absent or null members stay as they are.",
        [
            new("displayName", DisplayNameRule, "Ada Lovelace"),
            new("roles", $"The whole new set. {RolesRule} Tokens show it from the user's next refresh.", new[] { "admin", "support" }),
            new("emailVerified", "Mark the address verified (true) or not (false).", true),
        ]),
        [typeof(AuthService.Import.ImportUsersRequest)] = new("Users to import from another system: up to 1,000, body up to 1 MiB.",
        [
            new("users", "The users (see ImportUser); each is imported whole or skipped with a reason.",
                new object[] { new Dictionary<string, object?> { ["email"] = Email, ["passwordHash"] = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", ["emailVerified"] = true } },
                Required: true),
        ]),
        [typeof(AuthService.Import.ImportUser)] = new("One user from another system. Only `email` is required.",
        [
            new("email", "The address; normalized as at signup (trimmed, lower-cased). An address with an account already is skipped (`exists`).",
                Email, Required: true),
            new("passwordHash", "Optional. A bcrypt (`$2a$`, `$2b$`, `$2y$`), Argon2id PHC (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, at most " +
                "256 MiB, 16 passes, 16 lanes) or ASP.NET Core Identity V3 (base64, HMAC-SHA256/512, at most 2,000,000 iterations) hash of the " +
                "password as the old system hashed it. Absent: the user sets a password through forgot-password. Never returned or logged.",
                "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"),
            new("emailVerified", "Optional, default false. An unverified user signs in after verifying the address (resend-verification).", true),
            new("displayName", $"Optional. {DisplayNameRule}", "Ada"),
            new("roles", "Optional. At most 32 role names, each `^[a-z][a-z0-9_.:-]{0,63}$`.", new[] { "customer" }),
            new("createdAt", "Optional, default now. When the account was created in the old system; not in the future.", Created),
        ]),
        [typeof(AuthService.Import.ImportUsersResponse)] = new("What an import did.",
        [
            new("imported", "How many users were created.", 998),
            new("skipped", "Every user not imported, in request order, with its reason.",
                new object[] { new Dictionary<string, object?> { ["email"] = "grace@example.com", ["reason"] = "exists" } }),
        ]),
        [typeof(AuthService.Import.ImportSkipped)] = new("A user that was not imported.",
        [
            new("email", "The `email` as sent (null when absent).", Email),
            new("reason", "`exists`, `invalid_email`, `duplicate_email`, `invalid_display_name`, `invalid_roles`, `unsupported_password_hash` " +
                "or `created_at_in_future`.", "exists"),
        ]),
        [typeof(SignupRequest)] = new("A new account: email, password and an optional display name.",
        [
            new("email", "The address to sign up with: trimmed and lower-cased, at most 254 characters, one `@`, a dotted domain, nothing invisible.",
                Email, Required: true),
            new("password", PasswordRule, Password, Required: true),
            new("displayName", $"Optional. {DisplayNameRule}", "Ada"),
        ]),
        [typeof(VerifyEmailRequest)] = new("The token of a verification link, and the signup's password when the address saw more than one signup.",
        [
            new("token", "The `token` of the emailed link `{Auth:AppBaseUrl}/verify-email?token=…`.", EmailToken, Required: true),
            new("password", "The password chosen at the signup the link belongs to. Needed only when the unverified address saw more than " +
                "one signup (else 400 `validation_failed` with `errors.password: [\"required\"]`); ignored otherwise.", Password),
        ]),
        [typeof(EmailRequest)] = new("An email address.",
        [
            new("email", "The account's email address; normalized as at signup.", Email, Required: true),
        ]),
        [typeof(SigninRequest)] = new("Email and password.",
        [
            new("email", "The account's email address; normalized as at signup.", Email, Required: true),
            new("password", "The account's password.", Password, Required: true),
        ]),
        [typeof(UpdateProfileRequest)] = new("The profile fields to change.",
        [
            new("displayName", DisplayNameRule, "Ada Lovelace", Required: true),
        ]),
        [typeof(ResetPasswordRequest)] = new("The token of a reset link and the new password.",
        [
            new("token", "The `token` of the emailed link `{Auth:AppBaseUrl}/reset-password?token=…`; only the newest link works.",
                EmailToken, Required: true),
            new("newPassword", PasswordRule, "a new and rather long passphrase", Required: true),
        ]),
        [typeof(ChangePasswordRequest)] = new("The current password and the new one.",
        [
            new("currentPassword", "The password in use now; a wrong one counts toward the email's lockout.", Password, Required: true),
            new("newPassword", PasswordRule, "a new and rather long passphrase", Required: true),
            new("code", SensitiveCode, "123456"),
        ]),
        [typeof(EmailChangeRequest)] = new("The new email address and the current password.",
        [
            new("newEmail", "The address to move the account to; normalized as at signup.", "ada.new@example.com", Required: true),
            new("password", "The account's password; a wrong one counts toward the current email's lockout.", Password, Required: true),
        ]),
        [typeof(ConfirmEmailChangeRequest)] = new("The token of an email-change link.",
        [
            new("token", "The `token` of the emailed link `{Auth:AppBaseUrl}/confirm-email-change?token=…`.", EmailToken, Required: true),
        ]),
        [typeof(DeleteMeRequest)] = new("The password, to delete the signed-in account.",
        [
            new("password", "The account's password; a wrong one counts toward the email's lockout.", Password, Required: true),
            new("code", SensitiveCode, "123456"),
        ]),
        [typeof(MessageResponse)] = new("A deliberately vague confirmation: the same whether or not an account exists.",
        [
            new("message", "Human-readable; do not parse.", "Check your inbox to verify your email address."),
        ]),
        [typeof(RegisterPasskeyRequest)] = new("A new passkey: the authenticator's attestation, and a name for the list.",
        [
            new("credential", "The `PublicKeyCredential` that `navigator.credentials.create` gave for the options of " +
                "POST /auth/passkeys/register/options, as JSON (`toJSON()`: binary members base64url).", PasskeyAttestationExample, Required: true),
            new("name", "Optional; trimmed, 1–64 characters, no control, format or invisible characters. Default: `Passkey` and the date.",
                "Laptop"),
        ]),
        [typeof(PasskeySigninRequest)] = new("A passkey signin: the challenge answered and the authenticator's assertion.",
        [
            new("challengeId", "`challengeId` of POST /auth/passkeys/signin/options; used up by this call.", PasskeyChallengeId, Required: true),
            new("credential", "The `PublicKeyCredential` that `navigator.credentials.get` gave, as JSON (`toJSON()`: binary members " +
                "base64url); `response.userHandle` is required (a discoverable credential).", PasskeyAssertionExample, Required: true),
        ]),
        [typeof(PasskeyResponse)] = new("One of the caller's passkeys (no key material).",
        [
            new("id", "The passkey's id; DELETE /auth/passkeys/{id} removes it.", "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            new("name", "The name given at registration.", "Laptop"),
            new("createdAt", "When it was registered (UTC).", Created),
            new("lastUsedAt", "Its last signin (UTC); null when never.", "2025-06-02T18:05:00+00:00"),
        ]),
        [typeof(PasskeySigninOptionsResponse)] = new("A passkey signin's challenge.",
        [
            new("challengeId", "Send it back with the assertion; valid for 5 minutes, once.", PasskeyChallengeId),
            new("options", "`PublicKeyCredentialRequestOptions` as JSON (binary members base64url) for `navigator.credentials.get`.",
                new Dictionary<string, object?>
                {
                    ["challenge"] = "x6mHRe0Vb5Xz3Jd0l4cS1Q", ["timeout"] = 300000, ["rpId"] = "app.example.com",
                    ["allowCredentials"] = Array.Empty<object>(), ["userVerification"] = "required",
                }),
        ]),
        [typeof(UserResponse)] = new("The user as every answer shows it.", UserProperties),
        [typeof(AccessTokenResponse)] = new("A signed-in session's access token (the refresh token travels only in the cookie).",
        [
            new("accessToken", "An ES256 JWT (`typ` `at+jwt`; claims `iss`, `aud`, `sub`, `sid`, `jti`, `iat`, `nbf`, `exp`, `email`, " +
                "`email_verified`, `roles`, `amr`) for `Authorization: Bearer`. Keep it in memory, not in storage.",
                "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiIzZjFjMmE0ZSJ9.c2lnbmF0dXJl"),
            new("tokenType", "Always `Bearer`.", "Bearer"),
            new("expiresIn", "Seconds until the access token expires (`Auth:AccessTokenLifetime`, default 900).", 900),
            new("user", "The signed-in user.", ExampleOf(UserProperties)),
        ]),
        [typeof(SessionResponse)] = new("One live session (a signin and its refresh-token family).",
        [
            new("id", "The session id: the access token's `sid`; DELETE /auth/sessions/{id} revokes it.", "7d9e6f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6"),
            new("createdAt", "When the signin happened (UTC).", Created),
            new("lastUsedAt", "The last signin or refresh (UTC).", "2025-06-02T18:05:00+00:00"),
            new("expiresAt", "The absolute end (`Auth:SessionLifetime` after signin); idle sessions end earlier (`Auth:RefreshTokenIdleLifetime`).",
                "2025-07-01T09:30:00+00:00"),
            new("userAgent", "The User-Agent of the signin; null when none was sent.", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"),
            new("ip", "The client address of the signin; null when unknown.", "203.0.113.7"),
            new("current", "True for the session of the access token that asked.", true),
        ]),
        [typeof(AccountExport)] = new("Everything the service holds about the caller, without secrets.",
        [
            new("profile", "The user object.", ExampleOf(UserProperties)),
            new("roles", "The account's roles (as in the profile and the access token).", new[] { "support" }),
            new("sessions", "The live sessions, as GET /auth/sessions lists them.", Array.Empty<object>()),
            new("factors", "The second factors, as flags and counts.", new Dictionary<string, object?> { ["totp"] = false, ["passkeys"] = 0 }),
            new("auditEvents", "The account's audit events, newest first (at most 10,000).",
                new object[]
                {
                    new Dictionary<string, object?>
                    {
                        ["kind"] = "signin_succeeded", ["createdAt"] = Created, ["ip"] = "203.0.113.7", ["userAgent"] = "Mozilla/5.0", ["details"] = new Dictionary<string, object?> { ["outcome"] = "succeeded" },
                    },
                }),
            new("exportedAt", "When this export was made (UTC).", Created),
        ]),
        [typeof(AuthService.Mfa.TotpSetupResponse)] = new("A pending TOTP setup: the new secret for an authenticator app, three ways.",
        [
            new("secret", "The secret in base32 (160 bits), for typing into an app by hand.", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
            new("otpauthUri", "The Key Uri Format link apps read: `otpauth://totp/<issuer>:<email>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`; " +
                "the issuer is `Email:ProductName`.",
                "otpauth://totp/auth-service:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=auth-service&algorithm=SHA1&digits=6&period=30"),
            new("qrSvg", "`otpauthUri` as a QR code: an SVG document (show it as an image, e.g. a `data:image/svg+xml` URL).",
                "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 148 148\"><rect x=\"0\" y=\"0\" width=\"148\" height=\"148\" fill=\"#ffffff\" /></svg>"),
        ]),
        [typeof(AuthService.Mfa.MfaCodeRequest)] = new("A second-factor code.",
        [
            new("code", "A current TOTP code (6 digits; ±1 step of 30 s; each accepted once). POST /auth/mfa/recovery-codes also takes an " +
                "unused recovery code.", "123456", Required: true),
        ]),
        [typeof(AuthService.Mfa.DisableTotpRequest)] = new("The password and a second-factor code, to turn TOTP off.",
        [
            new("password", "The account's password; a wrong one counts toward the email's lockout.", Password, Required: true),
            new("code", "A current TOTP code or an unused recovery code; a wrong one counts toward the email's lockout.", "123456", Required: true),
        ]),
        [typeof(AuthService.Mfa.RecoveryCodesResponse)] = new("Ten single-use recovery codes, shown this once (only their hashes are kept).",
        [
            new("recoveryCodes", "Each 80 random bits as four groups of base32; typed back in any case, hyphens and spaces optional. " +
                "Each works once, in place of a TOTP code.", RecoveryCodesExample),
        ]),
        [typeof(AuthService.Mfa.MfaSigninRequest)] = new("The second step of a signin: the `mfaToken` and a TOTP `code` or a `recoveryCode` (not both).",
        [
            new("mfaToken", "The `mfaToken` of the signin's `mfaRequired` answer (single use, 5 minutes).", MfaToken, Required: true),
            new("code", "A current TOTP code (6 digits; ±1 step of 30 s; each accepted once).", "123456"),
            new("recoveryCode", "An unused recovery code, instead of `code`.", "k7dq-2mxp-7rta-4wve"),
        ]),
        [typeof(AuthService.Mfa.MfaRequiredResponse)] = new("Signin's answer when the password was right and TOTP is on: no session, " +
            "no cookie and no access token yet; finish with POST /auth/signin/mfa.",
        [
            new("mfaRequired", "Always true: tells this answer from a signed-in one.", true),
            new("mfaToken", "Opaque, single use, valid 5 minutes, bound to the account; void after 5 wrong codes.", MfaToken),
            new("methods", "The second factors the account can use: `totp`, `recovery_code`.", new[] { "totp", "recovery_code" }),
        ]),
        [typeof(MfaStatus)] = new("The user's second factors, as a flag and a count; their secrets never leave the service.",
        [
            new("totp", "Whether an authenticator app (TOTP) is on.", false),
            new("passkeys", "How many passkeys are registered.", 0),
        ]),
        [typeof(ExportedAuditEvent)] = new("One audit event about the account.",
        [
            new("kind", "What happened, e.g. `signin_succeeded`, `password_changed`, `email_changed`.", "signin_succeeded"),
            new("createdAt", "When (UTC).", Created),
            new("ip", "The client address of the request; null when unknown.", "203.0.113.7"),
            new("userAgent", "The User-Agent of the request; null when none was sent.", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"),
            new("details", "What the event records beyond its kind (never a secret); null when nothing.", new Dictionary<string, object?> { ["sessions"] = 1 }),
        ]),
        [typeof(OutboxEmail)] = new("A mail in the dev mailbox.",
        [
            new("id", "The outbox row's id.", 42),
            new("to", "The recipient.", Email),
            new("subject", "The subject line.", "Verify your email for auth-service"),
            new("text", "The plain-text body; email links appear in it as `…/verify-email?token=…` or `…/reset-password?token=…`.",
                "Confirm that this address belongs to you to finish creating your account.\n\nVerify email: http://localhost:8080/verify-email?token=" + EmailToken + "\n\n…"),
            new("html", "The HTML body.", "<!doctype html>…<a href=\"http://localhost:8080/verify-email?token=" + EmailToken + "\">Verify email</a>…"),
            new("createdAt", "When the mail was queued (UTC).", Created),
            new("sentAt", "When the transport accepted it (UTC); null while it waits.", "2025-06-01T09:30:01+00:00"),
        ]),
        [typeof(PasswordRules)] = new("The rule a new password must meet.",
        [
            new("minLength", "Fewest characters (`Auth:Password:MinLength`), counted as code points after NFKC normalization.", 15),
            new("maxLength", "Most characters, counted the same way.", 128),
            new("description", "The rule as a sentence for a form.", "At least 15 and at most 128 characters; spaces and any symbols are " +
                "fine. Not a commonly used password, and not containing the part of your email address before the @."),
        ]),
        [typeof(RootLinks)] = new("Where to go from the service's home.",
        [
            new("service", "The service's name.", "auth-service"),
            new("version", "The running release.", "1.1.0"),
            new("discovery", "The OpenID discovery document, for a JwtBearer `Authority`.", "/.well-known/openid-configuration"),
            new("openApi", "This OpenAPI document.", "/openapi/v1.json"),
            new("docs", "The browsable API reference; null when `Docs:Enabled` is off.", "/docs"),
            new("demo", "The demo single-page app; null unless `DevEndpoints:Enabled`.", "/demo/"),
        ]),
    };

    /// <summary>An example object made of the members' examples.</summary>
    public static Dictionary<string, object?> ExampleOf(IEnumerable<PropertyDoc> properties) =>
        properties.Where(p => p.Example is not null).ToDictionary(p => p.Name, p => p.Example);
}
