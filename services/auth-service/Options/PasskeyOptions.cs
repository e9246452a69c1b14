namespace AuthService.Options;

/// <summary>
/// <c>Auth:Passkeys</c>: the WebAuthn relying party. A passkey is bound to its RP id for life, so changing
/// <see cref="RpId"/> orphans every passkey registered before.
/// </summary>
public sealed class PasskeyOptions
{
    /// <summary>The relying party id (a host name); unset: the host of <c>Auth:AppBaseUrl</c>.</summary>
    public string RpId { get; set; } = "";

    /// <summary>The name authenticators may show; unset: the issuer's host.</summary>
    public string RpName { get; set; } = "";

    /// <summary>The RP id in effect: <see cref="RpId"/>, else the host of <paramref name="auth"/>'s AppBaseUrl.</summary>
    public static string EffectiveRpId(AuthOptions auth) =>
        !string.IsNullOrWhiteSpace(auth.Passkeys.RpId) ? auth.Passkeys.RpId.Trim().ToLowerInvariant()
        : Uri.TryCreate(auth.AppBaseUrl, UriKind.Absolute, out var app) ? app.IdnHost.ToLowerInvariant()
        : "";

    /// <summary><c>Auth:AllowedOrigins</c> and <c>Auth:AppBaseUrl</c>, as scheme://host[:port].</summary>
    public static IReadOnlySet<string> ConfiguredOrigins(AuthOptions auth) =>
        auth.AllowedOrigins.Append(auth.AppBaseUrl)
            .Select(o => Uri.TryCreate(o, UriKind.Absolute, out var u) ? u.GetLeftPart(UriPartial.Authority).ToLowerInvariant() : null)
            .OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>The origins a WebAuthn ceremony may come from: the <see cref="ConfiguredOrigins"/> whose host the RP id fits.</summary>
    public static IReadOnlySet<string> AllowedOrigins(AuthOptions auth)
    {
        var rpId = EffectiveRpId(auth);
        return ConfiguredOrigins(auth).Where(o => IsRpIdOf(rpId, new Uri(o).IdnHost)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The name in effect: <see cref="RpName"/>, else the issuer's host.</summary>
    public static string EffectiveRpName(AuthOptions auth) =>
        !string.IsNullOrWhiteSpace(auth.Passkeys.RpName) ? auth.Passkeys.RpName.Trim()
        : Uri.TryCreate(auth.Issuer, UriKind.Absolute, out var issuer) ? issuer.Host
        : "auth-service";

    /// <summary>
    /// True when <paramref name="rpId"/> may be the RP id of a page on <paramref name="host"/> (WebAuthn: the host itself, or a
    /// registrable suffix of it). Public suffixes are not looked up: an RP id such as <c>com</c> is the operator's mistake.
    /// </summary>
    public static bool IsRpIdOf(string rpId, string host) =>
        string.Equals(rpId, host, StringComparison.OrdinalIgnoreCase)
        || (!System.Net.IPAddress.TryParse(host.Trim('[', ']'), out _) && rpId.Contains('.', StringComparison.Ordinal)
            && host.EndsWith("." + rpId, StringComparison.OrdinalIgnoreCase));
}
