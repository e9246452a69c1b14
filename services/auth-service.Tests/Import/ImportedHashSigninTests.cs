using System.Net;
using AuthService.Import;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Import;

/// <summary>
/// Users imported with hashes made by the real libraries of the systems they come from sign in through the
/// HTTP API with their old password; that signin replaces the hash with the service's Argon2id and audits
/// it; a wrong password fails and leaves the imported hash alone. Passwords are checked as typed.
/// </summary>
public sealed class ImportedHashSigninTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string Password = "my password from the old system";
    private const string ServiceArgon2id = "$argon2id$v=19$m=19456,t=2,p=1$";
    private readonly AuthClient client = fixture.NewClient();

    public static TheoryData<string> Formats() => ["bcrypt-2a", "bcrypt-2b", "bcrypt-2y", "identity-v3", "identity-v3-sha256", "argon2id-other-params"];

    private static (string Hash, string Scheme) HashFor(string format, string password) => format switch
    {
        "bcrypt-2a" => (ImportKit.Bcrypt(password, 'a'), "bcrypt"),
        "bcrypt-2b" => (ImportKit.Bcrypt(password, 'b'), "bcrypt"),
        "bcrypt-2y" => (ImportKit.Bcrypt(password, 'y'), "bcrypt"),
        "identity-v3" => (ImportKit.IdentityV3(password), "identity_v3"),
        "identity-v3-sha256" => (ImportKit.IdentityV3Sha256(password), "identity_v3"),
        "argon2id-other-params" => (ImportKit.Argon2id(password), "argon2id"),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    private async Task<string> ImportVerifiedAsync(string hash)
    {
        var email = AuthClient.NewEmail("imported");
        var result = await ImportKit.ImportAsync(client, new ImportUser(email, hash, EmailVerified: true));
        Assert.Equal(1, result.Imported);
        Assert.Equal(hash, await ImportKit.StoredHashAsync(client, email));
        return email;
    }

    private async Task<List<(string? From, string? To)>> RehashAuditAsync(string email)
    {
        await using var db = client.OpenDatabase();
        return (await db.QueryAsync<(string?, string?)>("""
            SELECT a.details->>'from', a.details->>'to' FROM audit_events a JOIN users u ON u.id = a.user_id
            WHERE u.email = @email AND a.kind = 'password_rehashed'
            """, new { email })).ToList();
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ImportedHash_SignsInWithTheOldPassword_ThenIsArgon2id_AndAudited(string format)
    {
        var (hash, scheme) = HashFor(format, Password);
        var email = await ImportVerifiedAsync(hash);

        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, Password + "x"), HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(hash, await ImportKit.StoredHashAsync(client, email));

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, Password)).StatusCode);
        Assert.StartsWith(ServiceArgon2id, await ImportKit.StoredHashAsync(client, email));
        Assert.Equal([(scheme, "argon2id")], await RehashAuditAsync(email));

        // The new hash verifies the same password and needs no further rehash.
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, Password)).StatusCode);
        Assert.Single(await RehashAuditAsync(email));
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, Password + "x"), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Argon2idWithFourLanes_FromArgon2Cffi_SignsIn_AndIsRehashed()
    {
        var email = await ImportVerifiedAsync(ImportKit.ArgonCffiHash);
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, "TestPass124"), HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, ImportKit.ArgonCffiPassword)).StatusCode);
        Assert.StartsWith(ServiceArgon2id, await ImportKit.StoredHashAsync(client, email));
        Assert.Equal([("argon2id", "argon2id")], await RehashAuditAsync(email));
    }

    public static TheoryData<string, string> CompatibilityFormats() => new()
    {
        { "bcrypt-2b", "ｆｕｌｌｗｉｄｔｈ ﬁle pass" },
        { "identity-v3", "ｆｕｌｌｗｉｄｔｈ ﬁle pass" },
        { "argon2id-other-params", "ｆｕｌｌｗｉｄｔｈ ﬁle pass" },
    };

    [Theory]
    [MemberData(nameof(CompatibilityFormats))]
    public async Task PasswordWithCompatibilityCharacters_IsCheckedAsTyped(string format, string typed)
    {
        var nfkc = typed.Normalize(System.Text.NormalizationForm.FormKC);
        Assert.NotEqual(typed, nfkc);
        var (hash, _) = HashFor(format, typed);
        var email = await ImportVerifiedAsync(hash);

        // The old system hashed the bytes as typed: the NFKC form is another password there.
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, nfkc), HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(hash, await ImportKit.StoredHashAsync(client, email));

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, typed)).StatusCode);
        Assert.StartsWith(ServiceArgon2id, await ImportKit.StoredHashAsync(client, email));
        // From now on the service's rule holds: the NFKC form is the password, however it is typed.
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, typed)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, nfkc)).StatusCode);
    }

    [Fact]
    public async Task ImportedArgon2idWithTheServiceParameters_OfATypedPassword_IsRehashedToTheNfkcForm()
    {
        // Same parameters as the service's own hashes: only the as-typed match tells it apart, and it is rehashed.
        const string typed = "ﬁne ｐａｓｓｗｏｒｄ 42";
        var hash = ImportKit.Argon2id(typed, iterations: 2, memoryKiB: 19456);
        Assert.StartsWith(ServiceArgon2id, hash);
        var email = await ImportVerifiedAsync(hash);

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, typed)).StatusCode);
        var rehashed = await ImportKit.StoredHashAsync(client, email);
        Assert.NotEqual(hash, rehashed);
        Assert.Single(await RehashAuditAsync(email));
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, typed.Normalize(System.Text.NormalizationForm.FormKC))).StatusCode);
    }

    [Fact]
    public async Task UserImportedWithoutPassword_CannotSignIn_WithAnyPassword()
    {
        var email = AuthClient.NewEmail("no-password");
        Assert.Equal(1, (await ImportKit.ImportAsync(client, new ImportUser(email, EmailVerified: true))).Imported);

        foreach (var attempt in new[] { "", "!no-password", "no-password", Password })
            if (attempt.Length > 0)
                await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, attempt), HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(AuthService.Passwords.StoredPasswordHash.Unusable, await ImportKit.StoredHashAsync(client, email));
    }

    [Fact]
    public async Task UnverifiedImportedUser_GetsEmailNotVerified_AndKeepsTheHash()
    {
        var hash = ImportKit.Bcrypt(Password);
        var email = AuthClient.NewEmail("imported-unverified");
        Assert.Equal(1, (await ImportKit.ImportAsync(client, new ImportUser(email, hash))).Imported);

        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, Password), HttpStatusCode.Forbidden, "email_not_verified");
        Assert.Equal(hash, await ImportKit.StoredHashAsync(client, email));
        await using var db = client.OpenDatabase();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM signups s JOIN users u ON u.id = s.user_id WHERE u.email = @email AND s.voided_at IS NULL", new { email }));
    }
}
