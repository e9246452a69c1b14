using System.Net;
using System.Text;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Passwords;

/// <summary>How signup and signin use the password hash, end to end on a real database.</summary>
public sealed class PasswordHashingIntegrationTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    [Theory]
    [InlineData("Crème brûlée is my favourite dessert", NormalizationForm.FormC, NormalizationForm.FormD)]
    [InlineData("Crème brûlée is my favourite dessert", NormalizationForm.FormD, NormalizationForm.FormC)]
    [InlineData("Ångström units measure tiny things", NormalizationForm.FormC, NormalizationForm.FormD)]
    public async Task Signin_PasswordInOtherUnicodeNormalizationForm_Succeeds(string password, NormalizationForm atSignup, NormalizationForm atSignin)
    {
        // NIST SP 800-63B: Unicode passwords are NFKC/NFKD-normalized before hashing, so the same
        // password typed on a keyboard/OS that composes characters differently still matches.
        var signupForm = password.Normalize(atSignup);
        var signinForm = password.Normalize(atSignin);
        Assert.NotEqual(signupForm, signinForm);
        var email = await client.CreateVerifiedUserAsync(password: signupForm);

        var response = await client.SigninRawAsync(email, signinForm);

        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"Signin with the {atSignin} form of a password set in {atSignup} form answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Signin_SamePasswordSameForm_Succeeds_WrongPasswordFails()
    {
        const string password = "Crème brûlée is my favourite dessert";
        var email = await client.CreateVerifiedUserAsync(password: password);

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, password)).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, "Creme brulee is my favourite dessert"), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Signin_WithStrongerConfiguredParameters_RehashesTheStoredHash()
    {
        var email = await client.CreateVerifiedUserAsync();
        await using var db = client.OpenDatabase();
        const string sql = "SELECT password_hash FROM users WHERE email = @email";
        var before = await db.ExecuteScalarAsync<string>(sql, new { email });
        Assert.Contains("$m=19456,t=2,p=1$", before);

        // A second replica on the same database, configured with more iterations.
        await using var stronger = await new AuthServiceFactory(fixture.Factory.ConnectionString,
            new Dictionary<string, string?> { ["Auth:Password:HashIterations"] = "3" }).StartAsync();
        var strongerClient = new AuthClient(stronger);

        Assert.Equal(HttpStatusCode.OK, (await strongerClient.SigninRawAsync(email)).StatusCode);

        var after = await db.ExecuteScalarAsync<string>(sql, new { email });
        Assert.Contains("$m=19456,t=3,p=1$", after);
        Assert.Equal(HttpStatusCode.OK, (await strongerClient.SigninRawAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode); // the old replica verifies it too
    }
}
