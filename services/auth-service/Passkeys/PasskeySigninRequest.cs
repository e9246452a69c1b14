using System.Text.Json;
using AuthService.Http;

namespace AuthService.Passkeys;

/// <summary>POST /auth/passkeys/signin: the challenge the assertion answers, and the browser's <c>PublicKeyCredential</c> as JSON.</summary>
public sealed record PasskeySigninRequest(string? ChallengeId, JsonElement? Credential) : JsonRequest;
