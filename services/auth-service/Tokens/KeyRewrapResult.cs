namespace AuthService.Tokens;

/// <summary>What <c>rewrap-keys</c> did: rows moved to the sealing key, rows already under it, and rows no configured key opens.</summary>
public sealed record KeyRewrapResult(string SealingKeyId, int Rewrapped, int AlreadySealed, IReadOnlyList<string> Unopenable);
