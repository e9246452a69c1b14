using System.Text.Json;
using System.Text.Json.Serialization;

namespace AuthService.Http;

/// <summary>
/// Base of every JSON request body. Members the endpoint does not know are collected here rather
/// than dropped, and <see cref="JsonRequestRules.RefuseUnknownMembers"/> answers them with 400
/// <c>validation_failed</c>: a client that sends <c>username</c> or <c>profile.displayName</c> learns
/// at once that they were not taken. A member meant to carry opaque third-party JSON (say a WebAuthn
/// <c>credential</c>) is declared as <see cref="JsonElement"/> and stays opaque.
/// </summary>
public abstract record JsonRequest
{
    // set, not init: the source generator passes init-only members to the constructor with the record's parameters,
    // and the serializer refuses extension data bound that way.
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownMembers { get; set; }
}
