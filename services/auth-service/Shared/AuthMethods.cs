namespace AuthService.Shared;

/// <summary>
/// RFC 8176 authentication method references: how a session's signin was made. A session stores them
/// (<c>sessions.amr</c>) and every access token of it carries them as <c>amr</c>.
/// </summary>
public static class AuthMethods
{
    /// <summary>A password alone.</summary>
    public static readonly IReadOnlyList<string> Password = ["pwd"];

    /// <summary>A password and a TOTP or recovery code.</summary>
    public static readonly IReadOnlyList<string> PasswordAndOtp = ["pwd", "otp", "mfa"];

    /// <summary>A passkey: a hardware-bound key (<c>hwk</c>) whose authenticator verified the user (<c>user</c>).</summary>
    public static readonly IReadOnlyList<string> Passkey = ["hwk", "user", "mfa"];
}
