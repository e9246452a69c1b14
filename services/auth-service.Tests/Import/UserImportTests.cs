using System.Text;
using AuthService.Import;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Import;

/// <summary>The importer and the <c>import-users</c> command (run in-process on the test service's configuration).</summary>
public sealed class UserImportTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    private async Task<int> CountUsersAsync(IEnumerable<string> emails)
    {
        await using var db = client.OpenDatabase();
        return await db.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE email = ANY(@emails)", new { emails = emails.ToArray() });
    }

    [Fact]
    public async Task HostileRows_AreSkippedWithTheirReason_AndNothingOfThemIsStored()
    {
        var good = AuthClient.NewEmail("good");
        var rows = new ImportUser[]
        {
            new("not an email"),
            new(null),
            new(AuthClient.NewEmail("name"), DisplayName: "evil\u202Ename"),
            new(AuthClient.NewEmail("name"), DisplayName: new string('x', 101)),
            new(AuthClient.NewEmail("role"), Roles: ["Admin"]),
            new(AuthClient.NewEmail("role"), Roles: Enumerable.Range(0, 33).Select(i => $"r{i}").ToArray()),
            new(AuthClient.NewEmail("hash"), PasswordHash: "plaintext password"),
            new(AuthClient.NewEmail("hash"), PasswordHash: "$1$saltsalt$hashhashhashhashhash"),
            new(AuthClient.NewEmail("hash"), PasswordHash: ImportKit.IdentityV2("secret")),
            new(AuthClient.NewEmail("hash"), PasswordHash: "$argon2id$v=19$m=4194304,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"),
            new(AuthClient.NewEmail("hash"), PasswordHash: "$argon2i$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"),
            new(AuthClient.NewEmail("future"), CreatedAt: DateTimeOffset.UtcNow.AddDays(1)),
            new(good.ToUpperInvariant(), Roles: ["admin", "support.read"], CreatedAt: DateTimeOffset.Parse("2019-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)),
            new(" " + good + " "),
        };

        var result = await ImportKit.ImportAsync(client, rows);

        Assert.Equal(1, result.Imported);
        Assert.Equal(
            [
                (0, "invalid_email"), (1, "invalid_email"), (2, "invalid_display_name"), (3, "invalid_display_name"), (4, "invalid_roles"),
                (5, "invalid_roles"), (6, "unsupported_password_hash"), (7, "unsupported_password_hash"), (8, "unsupported_password_hash"),
                (9, "unsupported_password_hash"), (10, "unsupported_password_hash"), (11, "created_at_in_future"), (13, "duplicate_email"),
            ],
            result.Skipped.Select(s => (s.Index, s.Skipped.Reason)));
        Assert.Equal(0, await CountUsersAsync(rows[..12].Where(r => r.Email is not null).Select(r => r.Email!)));
        await using var db = client.OpenDatabase();
        var stored = await db.QuerySingleAsync<(string[] Roles, DateTime CreatedAt, bool Verified)>(
            "SELECT roles, created_at, email_verified_at IS NOT NULL FROM users WHERE email = @good", new { good });
        Assert.Equal(["admin", "support.read"], stored.Roles);
        Assert.Equal(new DateTime(2019, 5, 1, 10, 0, 0, DateTimeKind.Utc), stored.CreatedAt.ToUniversalTime());
        Assert.False(stored.Verified);
    }

    [Fact]
    public async Task ImportTwice_SecondRunSkipsEveryUserAsExists_AndAuditsEachOnce_WithoutTheHash()
    {
        var hash = ImportKit.Bcrypt("twice imported");
        var users = Enumerable.Range(0, 5).Select(i => new ImportUser(AuthClient.NewEmail($"twice{i}"), hash, EmailVerified: true)).ToArray();

        Assert.Equal(5, (await ImportKit.ImportAsync(client, users)).Imported);
        var again = await ImportKit.ImportAsync(client, users);

        Assert.Equal(0, again.Imported);
        Assert.All(again.Skipped, s => Assert.Equal("exists", s.Skipped.Reason));
        Assert.Equal(5, again.Skipped.Count);
        await using var db = client.OpenDatabase();
        var details = (await db.QueryAsync<string>("""
            SELECT a.details::text FROM audit_events a JOIN users u ON u.id = a.user_id
            WHERE u.email = ANY(@emails) AND a.kind = 'user_imported'
            """, new { emails = users.Select(u => u.Email).ToArray() })).ToList();
        Assert.Equal(5, details.Count);
        Assert.All(details, d =>
        {
            Assert.Contains("\"passwordFormat\": \"bcrypt\"", d);
            Assert.DoesNotContain(hash, d);
            Assert.DoesNotContain("$2b$", d);
        });
    }

    [Fact]
    public async Task ExistingSignup_IsNotOverwrittenByAnImport()
    {
        var email = await client.CreateVerifiedUserAsync();
        var before = await ImportKit.StoredHashAsync(client, email);

        var result = await ImportKit.ImportAsync(client, new ImportUser(email, ImportKit.Bcrypt("takeover"), EmailVerified: true));

        Assert.Equal(("exists", 0), (Assert.Single(result.Skipped).Skipped.Reason, result.Imported));
        Assert.Equal(before, await ImportKit.StoredHashAsync(client, email));
    }

    [Fact]
    public async Task TwoImportsOfOverlappingBatchesAtOnce_CreateEachUserOnce()
    {
        var emails = Enumerable.Range(0, 600).Select(i => AuthClient.NewEmail($"race{i}")).ToArray();
        // Overlap in the middle, in opposite orders: a lock-order deadlock would show here.
        var first = emails[..400].Select(e => new ImportUser(e, EmailVerified: true)).ToArray();
        var second = emails[200..].Reverse().Select(e => new ImportUser(e, EmailVerified: true)).ToArray();

        var results = await Task.WhenAll(ImportKit.ImportAsync(client, first), ImportKit.ImportAsync(client, second));

        Assert.Equal(600, results.Sum(r => r.Imported));
        Assert.Equal(200, results.Sum(r => r.Skipped.Count(s => s.Skipped.Reason == "exists")));
        Assert.Equal(600, await CountUsersAsync(emails));
        await using var db = client.OpenDatabase();
        Assert.Equal(600, await db.ExecuteScalarAsync<int>("""
            SELECT count(*) FROM audit_events a JOIN users u ON u.id = a.user_id WHERE u.email = ANY(@emails) AND a.kind = 'user_imported'
            """, new { emails }));
    }

    private async Task<(int ExitCode, string Output, string Error)> RunCommandAsync(string path)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await ImportUsersCommand.RunAsync(client.Factory.Services, path, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Command_ReportsBadLinesByNumber_ExitsOne_AndARerunOfTheGoodLinesExitsZero()
    {
        var a = AuthClient.NewEmail("cli-a");
        var b = AuthClient.NewEmail("cli-b");
        var path = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.jsonl");
        await using (var file = File.Create(path))
        {
            void Line(string text) => file.Write(Encoding.UTF8.GetBytes(text + "\n"));
            Line($$"""{"email":"{{a}}","passwordHash":"{{ImportKit.Bcrypt("cli password")}}","emailVerified":true,"displayName":"Ada"}"""); // 1
            Line("{not json");                                                                       // 2
            file.Write([(byte)'{', 0xC3, 0x28, (byte)'}', (byte)'\n']);                              // 3: invalid UTF-8
            Line($$"""{"email":"x@example.com","displayName":"{{new string('y', 20_000)}}"}""");      // 4: too long
            Line("");                                                                                // 5: blank, ignored
            Line($$"""{"email":"{{b}}","password_hash":"$2b$10$abc"}""");                            // 6: unknown member
            Line("""{"email":"bad address"}""");                                                     // 7
            Line("null");                                                                            // 8
            Line($$"""{"email":"{{b}}"}""");                                                         // 9
        }

        var run = await RunCommandAsync(path);

        Assert.Equal(1, run.ExitCode);
        foreach (var expected in new[] { "line 2: invalid_json", "line 3: invalid_utf8", "line 4: line_too_long", "line 6: unknown_member", "line 7: invalid_email (bad address)", "line 8: invalid_json" })
            Assert.Contains(expected, run.Error);
        Assert.DoesNotContain("line 5", run.Error);
        Assert.DoesNotContain("$2b$", run.Error + run.Output);
        Assert.Contains("9 lines, 2 users imported", run.Output);
        Assert.Equal(2, await CountUsersAsync([a, b]));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.SigninRawAsync(a, "cli password")).StatusCode);

        await File.WriteAllLinesAsync(path, [$$"""{"email":"{{a}}"}""", $$"""{"email":"{{b}}"}"""]);
        var rerun = await RunCommandAsync(path);
        Assert.Equal(0, rerun.ExitCode);
        Assert.Contains("0 users imported, 2 skipped (exists 2), 0 refused", rerun.Output);
        File.Delete(path);
    }

    [Fact]
    public async Task Command_WithAMissingFile_ExitsOneWithUsage()
    {
        var run = await RunCommandAsync("/nonexistent/users.jsonl");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("usage: AuthService import-users", run.Error);
        _ = client.Factory.Services.GetRequiredService<UserImporter>();
    }
}
