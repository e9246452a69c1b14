namespace AuthService.Mfa;

/// <summary>How a second-factor code was proven: the <c>methods</c> of an MFA challenge, and audit details.</summary>
public static class MfaMethods
{
    public const string Totp = "totp";
    public const string RecoveryCode = "recovery_code";

    public static readonly IReadOnlyList<string> All = [Totp, RecoveryCode];
}
