using System.Net;
using System.Text;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Passwords;

/// <summary>
/// Accounts moved here with a bcrypt hash (as an import writes them: straight into <c>users</c>) sign
/// in with their old password, and that first signin replaces the hash with Argon2id and audits it.
/// </summary>
public sealed class PasswordHashUpgradeTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string Password = "my password from the old system";
    private readonly AuthClient client = fixture.NewClient();

    private async Task<(Guid Id, string Email)> InsertVerifiedUserAsync(string passwordHash)
    {
        var email = AuthClient.NewEmail("imported");
        var id = Guid.NewGuid();
        await using var db = client.OpenDatabase();
        await db.ExecuteAsync("""
            INSERT INTO users (id, email, password_hash, email_verified_at, created_at, updated_at)
            VALUES (@id, @email, @passwordHash, now(), now(), now())
            """, new { id, email, passwordHash });
        return (id, email);
    }

    private async Task<string> StoredHashAsync(Guid id)
    {
        await using var db = client.OpenDatabase();
        return await db.QuerySingleAsync<string>("SELECT password_hash FROM users WHERE id = @id", new { id });
    }

    private async Task<List<(string? From, string? To)>> RehashAuditAsync(Guid id)
    {
        await using var db = client.OpenDatabase();
        return (await db.QueryAsync<(string?, string?)>("""
            SELECT details->>'from', details->>'to' FROM audit_events
            WHERE user_id = @id AND kind = 'password_rehashed'
            """, new { id })).ToList();
    }

    private static string Bcrypt(string password, char revision) =>
        BCrypt.Net.BCrypt.HashPassword(password, BCrypt.Net.BCrypt.GenerateSalt(10, revision));

    [Theory]
    [InlineData('a')]
    [InlineData('b')]
    [InlineData('y')]
    public async Task Signin_WithBcryptHash_Succeeds_ReplacesItWithArgon2id_AndAudits(char revision)
    {
        var (id, email) = await InsertVerifiedUserAsync(Bcrypt(Password, revision));

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, Password)).StatusCode);

        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", await StoredHashAsync(id));
        var audit = Assert.Single(await RehashAuditAsync(id));
        Assert.Equal(("bcrypt", "argon2id"), (audit.From, audit.To));
        // The new hash works, and needs no further rehash (no second audit row).
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, Password)).StatusCode);
        Assert.Single(await RehashAuditAsync(id));
    }

    [Fact]
    public async Task Signin_WithBcryptHash_WrongPassword_FailsAndKeepsTheBcryptHash()
    {
        var hash = Bcrypt(Password, 'b');
        var (id, email) = await InsertVerifiedUserAsync(hash);

        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, Password + "!"), HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.Equal(hash, await StoredHashAsync(id));
        Assert.Empty(await RehashAuditAsync(id));
    }

    [Fact]
    public async Task Signin_WithBcryptHashOfPasswordOver72Bytes_StoresTheWholePasswordOnUpgrade()
    {
        // bcrypt saw only the first 72 bytes; the full password as typed verifies, and Argon2id then
        // keeps all of it: afterwards a password sharing only the first 72 bytes is refused.
        var prefix = new string('x', 60) + "élan vital"; // 60 + 11 bytes (é is two) = 71
        var full = prefix + "!and a tail past byte 72";
        Assert.True(Encoding.UTF8.GetByteCount(full) > 72);
        var sameFirst72 = full[..(prefix.Length + 1)] + "different tail";
        Assert.Equal(Encoding.UTF8.GetBytes(full)[..72], Encoding.UTF8.GetBytes(sameFirst72)[..72]);
        var (id, email) = await InsertVerifiedUserAsync(Bcrypt(full, 'y'));

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, full)).StatusCode);
        Assert.StartsWith("$argon2id$", await StoredHashAsync(id));

        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, sameFirst72), HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, full)).StatusCode);
    }

    [Fact]
    public async Task Signin_WithUnverifiedEmail_DoesNotUpgradeTheHash()
    {
        var hash = Bcrypt(Password, 'a');
        var email = AuthClient.NewEmail("imported-unverified");
        var id = Guid.NewGuid();
        await using (var db = client.OpenDatabase())
            await db.ExecuteAsync("""
                INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (@id, @email, @hash, now(), now())
                """, new { id, email, hash });

        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, Password), HttpStatusCode.Forbidden, "email_not_verified");

        Assert.Equal(hash, await StoredHashAsync(id));
    }
}
