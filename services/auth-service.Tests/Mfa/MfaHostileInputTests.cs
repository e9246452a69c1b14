using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Mfa;

/// <summary>Hostile codes and tokens get problem answers (400 or 401), never a 500; no secret reaches the logs.</summary>
public sealed class MfaHostileInputTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    public static readonly TheoryData<string> HostileCodes =
    [
        "١٢٣٤٥٦", // Arabic-Indic digits
        "１２３４５６", // fullwidth digits
        "12345", "1234567", "12 345", "-12345", "+12345", "12345\u0000", "abcdef",
        new string('9', 10_000),
        "\ud800\ud800\ud800\ud800\ud800\ud800", // lone surrogates
        "aaaa-aaaa-aaaa-aaa\udc00",
        "ａａａａ-ａａａａ-ａａａａ-ａａａａ",
        "' OR 1=1 --",
    ];

    [Theory]
    [MemberData(nameof(HostileCodes))]
    public async Task HostileCodes_AreRefusedAsProblems(string code)
    {
        var user = await MfaKit.TotpUserAsync(client);
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email), code),
            HttpStatusCode.Unauthorized, "mfa_invalid");
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email), recoveryCode: code),
            HttpStatusCode.Unauthorized, "mfa_invalid");
        await ProblemAssert.IsProblemAsync(await client.SendWithBearerAsync(HttpMethod.Post, "/auth/mfa/recovery-codes", user.Session.AccessToken,
            new { code }), HttpStatusCode.Unauthorized, "mfa_invalid");
        await ProblemAssert.IsProblemAsync(await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", user.Session.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = "a brand new and long passphrase", code }),
            HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Theory]
    [MemberData(nameof(HostileCodes))]
    public async Task HostileCodes_DoNotConfirmASetup(string code)
    {
        var session = await client.SignupAndSigninAsync();
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SetupAsync(client, session)).StatusCode);
        await ProblemAssert.IsProblemAsync(await MfaKit.ConfirmAsync(client, session, code), HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Fact]
    public async Task HostileMfaTokens_AreRefused()
    {
        foreach (var mfaToken in new[] { "x", new string('A', 43), new string('A', 100_00), "\ud800", "../../etc/passwd", "null" })
            await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, mfaToken, "123456"), HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Fact]
    public async Task MissingOrConflictingMembers_Are400()
    {
        var problem = await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/signin/mfa", new { }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(problem, "mfaToken"));
        Assert.Equal(["required"], ProblemAssert.FieldErrors(problem, "code"));
        problem = await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/signin/mfa",
            new { mfaToken = new string('A', 43), code = "123456", recoveryCode = "aaaa-aaaa-aaaa-aaaa" }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["invalid_format"], ProblemAssert.FieldErrors(problem, "recoveryCode"));
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/signin/mfa", new { mfaToken = 5, code = 123456 }),
            HttpStatusCode.BadRequest, "malformed_request");
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/signin/mfa", new { mfaToken = "x", code = "1", otp = "1" }),
            HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Secrets_NeverReachTheLogs()
    {
        var user = await MfaKit.TotpUserAsync(client);
        var signedIn = await MfaKit.SigninWithCodeAsync(client, user);
        var token = await MfaKit.MfaTokenAsync(client, user.Email);
        await MfaKit.SigninMfaAsync(client, token, recoveryCode: user.RecoveryCodes[0]);
        await client.SendWithBearerAsync(HttpMethod.Post, "/auth/mfa/recovery-codes", signedIn.AccessToken, new { code = user.RecoveryCodes[1] });
        await client.WaitForRenderedAsync(user.Email);

        var logs = string.Join("\n", fixture.Factory.Logs.Lines);
        Assert.DoesNotContain(user.SecretBase32, logs);
        Assert.DoesNotContain(token, logs);
        foreach (var code in user.RecoveryCodes)
        {
            Assert.DoesNotContain(code, logs, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(code.Replace("-", ""), logs, StringComparison.OrdinalIgnoreCase);
        }
    }
}
