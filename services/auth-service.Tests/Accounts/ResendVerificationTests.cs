using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Accounts;

/// <summary>POST /auth/resend-verification: 202 always, mail only for an unverified account.</summary>
public sealed class ResendVerificationTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    private Task<HttpResponseMessage> ResendAsync(string? email) =>
        client.PostJsonAsync("/auth/resend-verification", new { email });

    [Fact]
    public async Task Resend_UnknownUnverifiedAndVerified_AnswerIdentically()
    {
        var unknown = AuthClient.NewEmail("unknown");
        var unverified = AuthClient.NewEmail("unverified");
        await client.SignupAsync(unverified);
        var verified = await client.CreateVerifiedUserAsync();

        await TestJson.AssertIdenticalAcceptedAsync(await ResendAsync(unknown), await ResendAsync(unverified), await ResendAsync(verified));
    }

    [Fact]
    public async Task Resend_UnverifiedAccount_GetsNewVerifyEmailWhoseTokenWorks()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);
        var firstToken = await client.TokenFromEmailAsync(email);

        Assert.Equal(HttpStatusCode.Accepted, (await ResendAsync(email)).StatusCode);
        await client.WaitForBackgroundWorkAsync();

        var tokens = TestJson.VerifyTokens(await client.EmailsAsync(email));
        Assert.Equal(2, tokens.Length);
        Assert.Equal(firstToken, tokens[1]);
        Assert.NotEqual(firstToken, tokens[0]);

        var verify = await client.PostJsonAsync("/auth/verify-email", new { token = tokens[0] });
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        TestJson.AssertUser(await TestJson.ReadAsync(verify), email, emailVerified: true, displayName: null);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
    }

    [Fact]
    public async Task Resend_NormalizesTheEmail()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);

        Assert.Equal(HttpStatusCode.Accepted, (await ResendAsync($"  {email.ToUpperInvariant()} ")).StatusCode);
        await client.WaitForBackgroundWorkAsync();

        Assert.Equal(2, TestJson.VerifyTokens(await client.EmailsAsync(email)).Length);
    }

    [Fact]
    public async Task Resend_UnknownEmail_SendsNothing()
    {
        var unknown = AuthClient.NewEmail("unknown");

        Assert.Equal(HttpStatusCode.Accepted, (await ResendAsync(unknown)).StatusCode);
        await client.WaitForBackgroundWorkAsync();

        Assert.Empty(await client.EmailsAsync(unknown));
    }

    [Fact]
    public async Task Resend_VerifiedEmail_SendsNothing()
    {
        var verified = await client.CreateVerifiedUserAsync();
        var before = (await client.EmailsAsync(verified)).Length;

        Assert.Equal(HttpStatusCode.Accepted, (await ResendAsync(verified)).StatusCode);
        await client.WaitForBackgroundWorkAsync();

        Assert.Equal(before, (await client.EmailsAsync(verified)).Length);
    }

    [Theory]
    [InlineData("not-an-email", "invalid_format")]
    [InlineData("a@b@example.com", "invalid_format")]
    [InlineData(null, "required")]
    public async Task Resend_InvalidEmail_IsValidationFailed(string? email, string code)
    {
        var problem = await ProblemAssert.IsProblemAsync(await ResendAsync(email), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal([code], ProblemAssert.FieldErrors(problem, "email"));
    }
}
