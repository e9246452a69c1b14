using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using AuthService.Import;
using AuthService.Passwords;
using AuthService.Shared;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Import;

/// <summary>Hashes made by the real libraries of the systems users come from, and the importer of a running service.</summary>
internal static class ImportKit
{
    public static string Bcrypt(string password, char revision = 'b') =>
        BCrypt.Net.BCrypt.HashPassword(password, BCrypt.Net.BCrypt.GenerateSalt(10, revision));

    /// <summary>ASP.NET Core Identity's own hasher (V3: PBKDF2-HMAC-SHA512, 100,000 iterations on .NET 10).</summary>
    public static string IdentityV3(string password) => new PasswordHasher<object>().HashPassword(new object(), password);

    public static string IdentityV2(string password) =>
        new PasswordHasher<object>(Microsoft.Extensions.Options.Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }))
            .HashPassword(new object(), password);

    /// <summary>A V3 hash with HMAC-SHA256 (what Identity on .NET 6 and earlier wrote, 10,000 iterations), laid out as Identity lays it out.</summary>
    public static string IdentityV3Sha256(string password, int iterations = 10_000)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var subkey = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32);
        var output = new byte[13 + salt.Length + subkey.Length];
        output[0] = 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(1), 1); // KeyDerivationPrf.HMACSHA256
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(5), (uint)iterations);
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(9), (uint)salt.Length);
        salt.CopyTo(output, 13);
        subkey.CopyTo(output, 13 + salt.Length);
        // Identity itself must accept it, or the test proves nothing.
        if (new PasswordHasher<object>().VerifyHashedPassword(new object(), Convert.ToBase64String(output), password) == PasswordVerificationResult.Failed)
            throw new InvalidOperationException("Identity refused the SHA-256 V3 hash.");
        return Convert.ToBase64String(output);
    }

    /// <summary>libsodium's crypto_pwhash_str of the password's bytes as given (no NFKC), with the given cost.</summary>
    public static string Argon2id(string password, ulong iterations = 3, int memoryKiB = 32 * 1024)
    {
        var output = new byte[LibSodium.StrBytes];
        var bytes = Encoding.UTF8.GetBytes(password);
        if (LibSodium.crypto_pwhash_str(output, bytes, (ulong)bytes.Length, iterations, (nuint)memoryKiB * 1024) != 0)
            throw new InvalidOperationException("crypto_pwhash_str failed");
        return Encoding.ASCII.GetString(output, 0, Array.IndexOf(output, (byte)0));
    }

    /// <summary>argon2-cffi (Python) with its defaults m=65536, t=3, p=4, of "TestPass123": four lanes, which libsodium cannot write but verifies.</summary>
    public const string ArgonCffiPassword = "TestPass123";
    public const string ArgonCffiHash = "$argon2id$v=19$m=65536,t=3,p=4$2m5CBWkA489bnIwyY5iaWQ$w3ujhnFOTF63QwaBVK950q/NxCwyTVQF4LLTeHAEt/Y";

    public static Task<ImportResult> ImportAsync(AuthClient client, params ImportUser[] users) =>
        client.Factory.Services.GetRequiredService<UserImporter>().ImportAsync(users, "test", null, new RequestOrigin(null, "tests"), CancellationToken.None);

    public static async Task<string?> StoredHashAsync(AuthClient client, string email)
    {
        await using var db = client.OpenDatabase();
        return await db.QuerySingleOrDefaultAsync<string>("SELECT password_hash FROM users WHERE email = @email", new { email });
    }

    public static async Task<List<string>> AuditKindsAsync(AuthClient client, string email)
    {
        await using var db = client.OpenDatabase();
        return (await db.QueryAsync<string>("""
            SELECT a.kind FROM audit_events a JOIN users u ON u.id = a.user_id WHERE u.email = @email ORDER BY a.id
            """, new { email })).ToList();
    }
}
