using System.Text.Json;
using AuthService.Http;

namespace AuthService.Passkeys;

/// <summary>POST /auth/passkeys/register: the browser's <c>PublicKeyCredential</c> as JSON, and a name for the list.</summary>
public sealed record RegisterPasskeyRequest(JsonElement? Credential, string? Name) : JsonRequest;
