using Microsoft.Extensions.Options;

namespace AuthService.Options;

/// <summary>Collects every configuration problem so a deployer sees them all in one message.</summary>
public sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions o)
    {
        var errors = new List<string>();
        var development = environment.IsDevelopment();

        if (string.IsNullOrWhiteSpace(o.Issuer))
        {
            if (!development) errors.Add("Auth:Issuer is required (the public base URL of this service).");
        }
        else if (!Uri.TryCreate(o.Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("http" or "https"))
        {
            errors.Add("Auth:Issuer must be an absolute http(s) URL.");
        }

        if (string.IsNullOrWhiteSpace(o.Audience)) errors.Add("Auth:Audience must not be empty.");
        if (!string.IsNullOrEmpty(o.AppBaseUrl) && !Uri.TryCreate(o.AppBaseUrl, UriKind.Absolute, out _))
            errors.Add("Auth:AppBaseUrl must be an absolute URL.");
        foreach (var origin in o.AllowedOrigins)
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var u) || u.PathAndQuery != "/")
                errors.Add($"Auth:AllowedOrigins entry '{origin}' must be an origin such as https://app.example.com.");

        Positive(o.AccessTokenLifetime, "Auth:AccessTokenLifetime");
        Positive(o.RefreshTokenIdleLifetime, "Auth:RefreshTokenIdleLifetime");
        Positive(o.SessionLifetime, "Auth:SessionLifetime");
        Positive(o.VerifyEmailTokenLifetime, "Auth:VerifyEmailTokenLifetime");
        Positive(o.ResetPasswordTokenLifetime, "Auth:ResetPasswordTokenLifetime");
        Positive(o.InvitationLifetime, "Auth:InvitationLifetime");
        Positive(o.RefreshLockTimeout, "Auth:RefreshLockTimeout");
        if (o.RefreshReuseGrace < TimeSpan.Zero) errors.Add("Auth:RefreshReuseGrace must not be negative.");
        if (o.SessionCacheSize < 0) errors.Add("Auth:SessionCacheSize must not be negative (0 turns the session cache off).");

        ValidateKeyEncryptionKeys(o, development, errors);
        ValidatePasskeys(o, errors);

        Positive(o.SigningKeys.RotationInterval, "Auth:SigningKeys:RotationInterval");
        Positive(o.SigningKeys.JwksMaxAge, "Auth:SigningKeys:JwksMaxAge");
        if (o.SigningKeys.PublishLead <= o.SigningKeys.JwksMaxAge)
            errors.Add($"Auth:SigningKeys:PublishLead must be longer than the JWKS cache lifetime (Auth:SigningKeys:JwksMaxAge, {o.SigningKeys.JwksMaxAge}).");
        else if (o.SigningKeys.PublishLead >= o.SigningKeys.RotationInterval)
            errors.Add("Auth:SigningKeys:PublishLead must be shorter than Auth:SigningKeys:RotationInterval.");
        if (o.Lockout.MaxFailures < 1) errors.Add("Auth:Lockout:MaxFailures must be at least 1.");
        Positive(o.Lockout.FailureWindow, "Auth:Lockout:FailureWindow");
        Positive(o.Lockout.LockoutDuration, "Auth:Lockout:LockoutDuration");
        if (o.Password.MinLength is < 8 or > 128) errors.Add("Auth:Password:MinLength must be between 8 and 128.");
        if (o.Password.HashIterations < 2) errors.Add("Auth:Password:HashIterations must be at least 2.");
        if (o.Password.HashMemoryKiB < 19 * 1024) errors.Add("Auth:Password:HashMemoryKiB must be at least 19456 (19 MiB).");
        if (o.Password.MaxConcurrentHashes < 1) errors.Add("Auth:Password:MaxConcurrentHashes must be at least 1.");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero) errors.Add($"{key} must be a positive TimeSpan such as 00:15:00.");
        }
    }

    private static void ValidateKeyEncryptionKeys(AuthOptions o, bool development, List<string> errors)
    {
        const string list = "Auth:KeyEncryptionKeys";
        if (o.KeyEncryptionKeys.Length == 0)
        {
            if (string.IsNullOrWhiteSpace(o.KeyEncryptionKey))
            {
                if (!development) errors.Add($"{list} (or the single Auth:KeyEncryptionKey) is required: base64 of 32 random bytes each.");
            }
            else if (!IsBase64Of32Bytes(o.KeyEncryptionKey))
            {
                errors.Add("Auth:KeyEncryptionKey must be base64 of exactly 32 bytes.");
            }
            return;
        }

        // Both at once would leave it unclear which key seals; the single key belongs in the list as id 'legacy'.
        if (!string.IsNullOrWhiteSpace(o.KeyEncryptionKey))
            errors.Add($"Set either {list} or Auth:KeyEncryptionKey, not both; list the single key as an entry with Id '{AuthOptions.LegacyKeyEncryptionKeyId}'.");

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < o.KeyEncryptionKeys.Length; i++)
        {
            var entry = o.KeyEncryptionKeys[i];
            if (string.IsNullOrWhiteSpace(entry.Id))
                errors.Add($"{list}:{i}:Id is required.");
            else if (!IsKeyId(entry.Id))
                errors.Add($"{list}:{i}:Id '{entry.Id}' may hold only letters, digits, '.', '_' and '-' (at most 64).");
            else if (!ids.TryAdd(entry.Id, i))
                errors.Add($"{list}:{i}:Id '{entry.Id}' is already the id of entry {ids[entry.Id]}; ids must be unique.");

            if (!IsBase64Of32Bytes(entry.Key))
                errors.Add($"{list}:{i}:Key must be base64 of exactly 32 bytes.");
            else if (Convert.ToBase64String(Convert.FromBase64String(entry.Key.Trim())) is var key && !keys.TryAdd(key, i))
                errors.Add($"{list}:{i}:Key is the same key as entry {keys[key]}; each entry needs a key of its own.");
        }
    }

    /// <summary>A browser refuses a ceremony whose RP id is not its page's host or a registrable suffix of it: say so at startup.</summary>
    private static void ValidatePasskeys(AuthOptions o, List<string> errors)
    {
        var rpId = PasskeyOptions.EffectiveRpId(o);
        if (rpId.Length == 0)
        {
            if (!string.IsNullOrWhiteSpace(o.AppBaseUrl)) errors.Add("Auth:Passkeys:RpId is required when Auth:AppBaseUrl has no host.");
            return;
        }
        if (Uri.CheckHostName(rpId) == UriHostNameType.Unknown || rpId.Contains(':', StringComparison.Ordinal))
        {
            errors.Add($"Auth:Passkeys:RpId '{rpId}' must be a host name such as example.com (no scheme, port or path).");
            return;
        }
        // An explicit RP id must fit every allowed origin; the default (AppBaseUrl's host) fits AppBaseUrl, and allowed origins
        // on other domains (a CORS-only SPA) are then simply no passkey origins (PasskeyOptions.AllowedOrigins).
        var explicitRpId = !string.IsNullOrWhiteSpace(o.Passkeys.RpId);
        foreach (var origin in explicitRpId ? PasskeyOptions.ConfiguredOrigins(o) : new HashSet<string>())
            if (!PasskeyOptions.IsRpIdOf(rpId, new Uri(origin).IdnHost))
                errors.Add($"Auth:Passkeys:RpId '{rpId}' is neither the host of the allowed origin {origin} nor a registrable suffix of it " +
                    "(Auth:AllowedOrigins and Auth:AppBaseUrl): browsers would refuse passkeys there. Set Auth:Passkeys:RpId to a domain every allowed origin shares.");
    }

    private static bool IsKeyId(string id) =>
        id.Length <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static bool IsBase64Of32Bytes(string value)
    {
        Span<byte> buffer = stackalloc byte[48];
        return Convert.TryFromBase64String(value.Trim(), buffer, out var written) && written == 32;
    }
}
