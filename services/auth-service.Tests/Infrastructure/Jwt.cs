using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace AuthService.Tests.Infrastructure;

/// <summary>Builds JWTs by hand: any header, any payload, any signature.</summary>
public static class Jwt
{
    public static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);

    public static string B64(string text) => B64(Encoding.UTF8.GetBytes(text));

    public static byte[] Unb64(string segment) => Base64Url.DecodeFromChars(segment);

    public static JsonObject Header(string token) => JsonNode.Parse(Encoding.UTF8.GetString(Unb64(token.Split('.')[0])))!.AsObject();

    public static JsonObject Payload(string token) => JsonNode.Parse(Encoding.UTF8.GetString(Unb64(token.Split('.')[1])))!.AsObject();

    /// <summary>The <c>sid</c> claim of an access token: the session it belongs to.</summary>
    public static Guid SessionId(string token) => Guid.Parse(Payload(token)["sid"]!.GetValue<string>());

    /// <summary>header.payload.signature where the signature is whatever <paramref name="sign"/> makes of the signing input.</summary>
    public static string Make(JsonObject header, JsonObject payload, Func<byte[], byte[]> sign)
    {
        var input = B64(header.ToJsonString()) + "." + B64(payload.ToJsonString());
        return input + "." + B64(sign(Encoding.ASCII.GetBytes(input)));
    }

    public static Func<byte[], byte[]> Es256(ECDsa key) => input => key.SignData(input, HashAlgorithmName.SHA256);

    public static Func<byte[], byte[]> Hs256(byte[] secret) => input => HMACSHA256.HashData(secret, input);

    public static readonly Func<byte[], byte[]> NoSignature = _ => [];

    public static long Unix(DateTimeOffset at) => at.ToUnixTimeSeconds();

    /// <summary>A payload with every claim the contract lists, for <paramref name="sub"/>/<paramref name="sid"/>, valid at <paramref name="now"/>.</summary>
    public static JsonObject Claims(string sub, string sid, string email, DateTimeOffset now, string iss = AuthServiceFactory.Issuer, string aud = "api") => new()
    {
        ["iss"] = iss,
        ["aud"] = aud,
        ["sub"] = sub,
        ["sid"] = sid,
        ["jti"] = Guid.NewGuid().ToString("N"),
        ["iat"] = Unix(now),
        ["nbf"] = Unix(now),
        ["exp"] = Unix(now.AddMinutes(15)),
        ["email"] = email,
        ["email_verified"] = true,
    };

    public static JsonObject Es256Header(string? kid, string typ = "at+jwt")
    {
        var header = new JsonObject { ["alg"] = "ES256", ["typ"] = typ };
        if (kid is not null) header["kid"] = kid;
        return header;
    }
}

