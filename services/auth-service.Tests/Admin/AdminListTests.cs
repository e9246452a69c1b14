using System.Net;
using System.Text.Json;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Admin;

/// <summary>GET /admin/users: search, keyset paging that holds under concurrent inserts, and hostile parameters.</summary>
public sealed class AdminListTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AdminKit kit = new(fixture.Factory);

    private async Task<string> CreateNamedAsync(string displayName)
    {
        var email = AuthClient.NewEmail("listed");
        Assert.Equal(HttpStatusCode.Accepted, (await kit.Client.SignupAsync(email, displayName: displayName)).StatusCode);
        return email;
    }

    [Fact]
    public async Task Paging_WhileUsersAreInserted_SeesEveryEarlierUserOnce_NewestFirst()
    {
        var admin = await kit.AdminAsync();
        var marker = "pg" + Guid.NewGuid().ToString("N")[..8];
        var before = new List<string>();
        for (var i = 0; i < 11; i++) before.Add(await CreateNamedAsync($"{marker} {i}"));

        var seen = new List<JsonElement>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var path = $"/admin/users?query={marker}&limit=3" + (cursor is null ? "" : $"&cursor={cursor}");
            var page = await AdminKit.JsonAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, path));
            seen.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("nextCursor").GetString();
            await CreateNamedAsync($"{marker} late {pages}"); // inserted between pages: newer than every cursor
            pages++;
        } while (cursor is not null && pages < 20);

        var emails = seen.Select(u => u.GetProperty("email").GetString()!).ToList();
        Assert.Equal(emails.Count, emails.Distinct().Count()); // no duplicates
        Assert.All(before, e => Assert.Contains(e, emails)); // no gaps
        // The late users may show up only where their (created_at, id) falls after the cursor (the test clock stands
        // still, so they tie on created_at); they never push an earlier user onto a page already walked.
        Assert.InRange(pages, 4, 20);
        var created = seen.Select(u => u.GetProperty("createdAt").GetDateTimeOffset()).ToList();
        Assert.Equal(created.OrderDescending(), created); // newest first
        Assert.All(seen, u => Assert.False(u.GetProperty("disabled").GetBoolean()));
    }

    [Fact]
    public async Task Query_IsCaseInsensitive_AndLikeWildcardsArePlainCharacters()
    {
        var admin = await kit.AdminAsync();
        var marker = "Q" + Guid.NewGuid().ToString("N")[..8];
        var percent = await CreateNamedAsync($"{marker} 100% sure");
        await CreateNamedAsync($"{marker} 100 x sure");

        var page = await AdminKit.JsonAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get,
            $"/admin/users?query={Uri.EscapeDataString(marker.ToLowerInvariant() + " 100%")}"));

        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(percent, item.GetProperty("email").GetString());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
        var underscore = await AdminKit.JsonAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, $"/admin/users?query={marker}_"));
        Assert.Empty(underscore.GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=99999999999999999999", "limit")]
    [InlineData("cursor=abc", "cursor")]
    [InlineData("cursor=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00", "cursor")]
    [InlineData("cursor=________________________________", "cursor")]
    [InlineData("query=a%00b", "query")]
    [InlineData("query=a%0Ab", "query")]
    public async Task HostileParameters_Are400ValidationFailed(string parameters, string field)
    {
        var admin = await kit.AdminAsync();

        var problem = await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, "/admin/users?" + parameters),
            HttpStatusCode.BadRequest, "validation_failed");

        Assert.NotEmpty(ProblemAssert.FieldErrors(problem, field));
    }

    [Fact]
    public async Task OverlongQueryAndCursor_Are400_NotAServerError()
    {
        var admin = await kit.AdminAsync();

        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, "/admin/users?query=" + new string('a', 5000)),
            HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, "/admin/users?cursor=" + new string('A', 5000)),
            HttpStatusCode.BadRequest, "validation_failed");
    }

    [Theory]
    [InlineData("/admin/users/not-a-guid")]
    [InlineData("/admin/users/00000000-0000-0000-0000-000000000000")]
    [InlineData("/admin/users/%20")]
    [InlineData("/admin/users/3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f%0A")]
    public async Task UnknownOrMalformedId_Is404(string path)
    {
        var admin = await kit.AdminAsync();

        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, path), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Post, path + "/disable"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Delete, path), HttpStatusCode.NotFound, "not_found");
    }
}
