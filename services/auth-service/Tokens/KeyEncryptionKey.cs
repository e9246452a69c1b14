namespace AuthService.Tokens;

/// <summary>One configured key-encryption key: its id (stored beside what it seals) and its 32 bytes.</summary>
internal sealed record KeyEncryptionKey(string Id, byte[] Key);
