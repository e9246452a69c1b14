using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Sessions;

/// <summary>One parsed <c>Set-Cookie</c> header: name, value and its attributes (names lower-cased).</summary>
public sealed record SetCookie(string Name, string Value, IReadOnlyDictionary<string, string?> Attributes)
{
    public bool Has(string attribute) => Attributes.ContainsKey(attribute.ToLowerInvariant());

    public string? Get(string attribute) => Attributes.TryGetValue(attribute.ToLowerInvariant(), out var v) ? v : null;

    public long? MaxAge => Get("max-age") is { } v ? long.Parse(v) : null;

    public static SetCookie Parse(string header)
    {
        var parts = header.Split(';');
        var nameValue = parts[0].Split('=', 2);
        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            var kv = part.Trim().Split('=', 2);
            attributes[kv[0].Trim().ToLowerInvariant()] = kv.Length > 1 ? kv[1].Trim() : null;
        }
        return new SetCookie(nameValue[0].Trim(), nameValue.Length > 1 ? nameValue[1] : "", attributes);
    }

    /// <summary>Every Set-Cookie of the response whose name is <paramref name="name"/>.</summary>
    public static IReadOnlyList<SetCookie> All(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Select(Parse).Where(c => c.Name == name).ToList()
            : [];

    /// <summary>The single Set-Cookie named <paramref name="name"/>; fails the test when there is none or several.</summary>
    public static SetCookie Single(HttpResponseMessage response, string name = AuthClient.CookieName)
    {
        var all = All(response, name);
        var headers = response.Headers.TryGetValues("Set-Cookie", out var v) ? string.Join(" | ", v) : "(none)";
        Assert.True(all.Count == 1, $"Expected exactly one Set-Cookie named {name}, got: {headers}");
        return all[0];
    }
}

/// <summary>Rows of <c>sessions</c> as the tests look at them.</summary>
public sealed record SessionRow(Guid Id, Guid UserId, DateTime CreatedAt, DateTime LastUsedAt, DateTime IdleExpiresAt,
    DateTime ExpiresAt, DateTime? RevokedAt, string? RevokedReason);

/// <summary>The refresh state a session row carries (migration 0008): the newest and the previous secret's hash.</summary>
public sealed record RefreshState(byte[]? CurrentHash, byte[]? PreviousHash, int Generation, DateTime? RotatedAt);

public static class SessionTestKit
{
    public static byte[] Sha256(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>A well-formed refresh token (256 random bits, base64url) that the service never issued.</summary>
    public static string UnknownToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The refresh cookie a successful response sets; fails the test when the status is not 200 or no cookie is set.</summary>
    public static async Task<string> NewCookieAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body}");
        var value = AuthClient.RefreshCookieValue(response);
        Assert.False(string.IsNullOrEmpty(value), "A successful refresh must set a new refresh cookie.");
        return value!;
    }

    /// <summary>Refreshes and returns the new cookie value, asserting 200.</summary>
    public static async Task<string> RotateAsync(this AuthClient client, string token) =>
        await NewCookieAsync(await client.RefreshAsync(token));

    public static async Task<string> AccessTokenOfAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;

    /// <summary>The <c>sid</c> claim of an access token (payload decoded without validation, just to read it).</summary>
    public static Guid SessionIdOf(string accessToken)
        => Jwt.SessionId(accessToken);

    public static async Task<SessionRow> SessionAsync(this AuthClient client, Guid sessionId)
    {
        await using var conn = client.OpenDatabase();
        return await conn.QuerySingleAsync<SessionRow>("""
            SELECT id AS Id, user_id AS UserId, created_at AS CreatedAt, last_used_at AS LastUsedAt,
                   idle_expires_at AS IdleExpiresAt, expires_at AS ExpiresAt, revoked_at AS RevokedAt, revoked_reason AS RevokedReason
            FROM sessions WHERE id = @sessionId
            """, new { sessionId });
    }

    /// <summary>The session a refresh token names (its first 22 characters).</summary>
    public static Guid SessionIdOfRefreshToken(string token) => new(Base64Url.DecodeFromChars(token.AsSpan(0, 22)), bigEndian: true);

    /// <summary>SHA-256 of a refresh token's secret (what follows the session id): what the database stores.</summary>
    public static byte[] SecretHash(string token) => Sha256(token[22..]);

    public static async Task<RefreshState> RefreshStateAsync(this AuthClient client, Guid sessionId)
    {
        await using var conn = client.OpenDatabase();
        return await conn.QuerySingleAsync<RefreshState>("""
            SELECT current_hash AS CurrentHash, previous_hash AS PreviousHash, generation AS Generation, rotated_at AS RotatedAt
            FROM sessions WHERE id = @sessionId
            """, new { sessionId });
    }

    /// <summary>Whether <paramref name="token"/> is its session's newest refresh token (the next refresh rotates it).</summary>
    public static async Task<bool> IsNewestAsync(this AuthClient client, string token) =>
        (await client.RefreshStateAsync(SessionIdOfRefreshToken(token))).CurrentHash?.SequenceEqual(SecretHash(token)) == true;

    /// <summary>Rows of the previous release's token table for a session: a refresh of this release writes none.</summary>
    public static async Task<long> PreviousReleaseTokenRowsAsync(this AuthClient client, Guid sessionId)
    {
        await using var conn = client.OpenDatabase();
        return await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM refresh_tokens WHERE session_id = @sessionId", new { sessionId });
    }

    /// <summary>Asserts <paramref name="actualUtc"/> lies in [<paramref name="from"/>, <paramref name="from"/> + <paramref name="span"/>], to PostgreSQL's precision.</summary>
    public static void Between(DateTimeOffset from, TimeSpan span, DateTime actualUtc)
    {
        var offset = actualUtc - from.UtcDateTime;
        Assert.True(offset > TimeSpan.FromMilliseconds(-1) && offset < span + TimeSpan.FromMilliseconds(1),
            $"Expected {from:O} + [0, {span.TotalMilliseconds:F1} ms], got {actualUtc:O}");
    }

    /// <summary>Asserts two instants are equal to PostgreSQL's microsecond precision.</summary>
    public static void SameInstant(DateTimeOffset expected, DateTime actualUtc)
    {
        var delta = (actualUtc - expected.UtcDateTime).Duration();
        Assert.True(delta < TimeSpan.FromMilliseconds(1), $"Expected {expected:O}, got {actualUtc:O}");
    }
}
