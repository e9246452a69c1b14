namespace AuthService.Passkeys;

/// <summary>The <c>errors.credential</c> codes of a refused registration (beside <c>required</c> and <c>invalid_format</c>).</summary>
public static class PasskeyFieldErrors
{
    /// <summary>The attestation did not verify, or answers no live registration challenge of the caller (unknown, used or expired).</summary>
    public const string Rejected = "rejected";

    /// <summary>The credential id is registered already.</summary>
    public const string AlreadyRegistered = "already_registered";
}
