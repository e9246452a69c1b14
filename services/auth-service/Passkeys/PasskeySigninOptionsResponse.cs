using System.Text.Json;

namespace AuthService.Passkeys;

/// <summary>POST /auth/passkeys/signin/options: the WebAuthn request options, and the id of the stored challenge they carry.</summary>
public sealed record PasskeySigninOptionsResponse(Guid ChallengeId, JsonElement Options);
