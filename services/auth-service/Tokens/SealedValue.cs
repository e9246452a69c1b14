namespace AuthService.Tokens;

/// <summary>An AES-GCM box (nonce, ciphertext, tag) and the id of the key-encryption key that sealed it; both are stored.</summary>
public sealed record SealedValue(byte[] Box, string KekId);
