using AuthService.Shared;

namespace AuthService.Passkeys;

/// <summary>A passkey found by its credential id at signin, with its owner.</summary>
internal sealed record StoredPasskey(Guid Id, byte[] PublicKey, long SignCount, UserResponse User, bool Disabled);
