using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthService.Options;
using AuthService.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace AuthService.Tests.Tokens;

/// <summary>Builds the service's token machinery in memory (no database) for unit tests.</summary>
internal static class TestKeys
{
    public static string NewKek() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static AuthOptions Options(string? kek = null, TimeSpan? accessTokenLifetime = null) => new()
    {
        Issuer = "https://auth.test",
        Audience = "api",
        KeyEncryptionKey = kek ?? NewKek(),
        AccessTokenLifetime = accessTokenLifetime ?? TimeSpan.FromMinutes(15),
    };

    /// <summary>Options with <c>Auth:KeyEncryptionKeys</c>, newest first.</summary>
    public static AuthOptions Options(params (string Id, string Key)[] keys)
    {
        var options = Options();
        options.KeyEncryptionKey = "";
        options.KeyEncryptionKeys = [.. keys.Select(k => new KeyEncryptionKeyOptions { Id = k.Id, Key = k.Key })];
        return options;
    }

    /// <summary>Service settings for <c>Auth:KeyEncryptionKeys</c>, newest first (and the factory's single key unset).</summary>
    public static Dictionary<string, string?> KeyEncryptionKeySettings(params (string Id, string Key)[] keys)
    {
        var settings = new Dictionary<string, string?> { ["Auth:KeyEncryptionKey"] = "" };
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"Auth:KeyEncryptionKeys:{i}:Id"] = keys[i].Id;
            settings[$"Auth:KeyEncryptionKeys:{i}:Key"] = keys[i].Key;
        }
        return settings;
    }

    public static ServerSecrets Secrets(AuthOptions options) =>
        new(Microsoft.Extensions.Options.Options.Create(options), NullLogger<ServerSecrets>.Instance);

    /// <summary>A store whose data source is never opened: only <c>Generate</c> is used.</summary>
    public static SigningKeyStore Store(ServerSecrets secrets) => new(NpgsqlDataSource.Create("Host=unused"), secrets);

    public static ECDsaSecurityKey PublicKey(StoredSigningKey key, string? kidOverride = null)
    {
        using var jwk = JsonDocument.Parse(key.PublicJwk);
        var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars(jwk.RootElement.GetProperty("x").GetString()),
                Y = Base64Url.DecodeFromChars(jwk.RootElement.GetProperty("y").GetString()),
            },
        });
        return new ECDsaSecurityKey(ecdsa) { KeyId = kidOverride ?? key.Kid };
    }

    /// <summary>Decodes one base64url JWT segment (0 header, 1 payload) as JSON.</summary>
    public static JsonElement Segment(string jwt, int index) =>
        JsonSerializer.Deserialize<JsonElement>(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(jwt.Split('.')[index])));
}
