namespace AuthService.Options;

/// <summary>One entry of <c>Auth:KeyEncryptionKeys</c>.</summary>
public sealed class KeyEncryptionKeyOptions
{
    /// <summary>Stored beside every value this key seals, so a replica knows which key opens it and <c>rewrap-keys</c> what is left to move.</summary>
    public string Id { get; set; } = "";

    /// <summary>Base64 of 32 random bytes.</summary>
    public string Key { get; set; } = "";
}
