using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AuthService.Tests.Accounts;

internal static partial class TestJson
{
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static string[] PropertyNames(JsonElement element) =>
        element.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    public static bool DeepEquals(string a, string b) => JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b));

    /// <summary>
    /// Answers that must not reveal whether an account exists: all 202 with the same {message} body,
    /// content type and Location as the first.
    /// </summary>
    public static async Task AssertIdenticalAcceptedAsync(params HttpResponseMessage[] responses)
    {
        var first = responses[0];
        var reference = await first.Content.ReadAsStringAsync();
        foreach (var response in responses)
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(first.Content.Headers.ContentType, response.Content.Headers.ContentType);
            Assert.Equal(first.Headers.Location, response.Headers.Location);
            var body = await ReadAsync(response);
            Assert.Equal(["message"], PropertyNames(body));
            Assert.True(DeepEquals(reference, body.GetRawText()), $"Bodies differ: {reference} vs {body}");
        }
    }

    /// <summary>Asserts the contract's user object: exactly {id, email, emailVerified, displayName, createdAt, roles, mfa}.</summary>
    public static void AssertUser(JsonElement user, string email, bool emailVerified, string? displayName)
    {
        Assert.Equal(["createdAt", "displayName", "email", "emailVerified", "id", "mfa", "roles"], PropertyNames(user));
        Assert.Equal(["passkeys", "totp"], PropertyNames(user.GetProperty("mfa")));
        Assert.True(Guid.TryParse(user.GetProperty("id").GetString(), out var id) && id != Guid.Empty);
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal(emailVerified, user.GetProperty("emailVerified").GetBoolean());
        if (displayName is null) Assert.Equal(JsonValueKind.Null, user.GetProperty("displayName").ValueKind);
        else Assert.Equal(displayName, user.GetProperty("displayName").GetString());
        var createdAt = user.GetProperty("createdAt").GetString()!;
        Assert.Matches(IsoUtc(), createdAt);
    }

    /// <summary>ISO 8601 with an explicit UTC designator (Z or +00:00).</summary>
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")]
    private static partial Regex IsoUtc();

    /// <summary>The verify-email tokens linked from the emails, newest first.</summary>
    public static string[] VerifyTokens(IEnumerable<JsonElement> emails) =>
        emails.Select(e => VerifyLink().Match(e.GetProperty("text").GetString()!))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();

    [GeneratedRegex(@"https://app\.test/verify-email\?token=([A-Za-z0-9_\-]+)")]
    public static partial Regex VerifyLink();
}
