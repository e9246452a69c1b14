using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Accounts;

/// <summary>
/// Pre-account hijack: whoever signs up first with somebody else's address must not end up owning the
/// account when the address's owner follows a link. Each verify link activates the credential of the
/// signup that produced it, and once an address saw more than one signup only with that signup's password.
/// </summary>
public sealed class PreAccountHijackTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string AttackerPassword = "the attacker's own passphrase 1";
    private const string VictimPassword = "the victim's real passphrase 22";
    private readonly AuthClient client = fixture.NewClient();

    [Fact]
    public async Task AttackerSignsUpFirst_VictimFollowsAttackersLink_Refused_OwnLinkWithOwnPassword_VictimOwnsTheAccount()
    {
        var email = AuthClient.NewEmail("victim");
        await client.SignupAsync(email, AttackerPassword, "Attacker");
        var attackersLink = await client.TokenFromEmailAsync(email);
        await client.SignupAsync(email, VictimPassword, "Victim");
        var victimsLink = Assert.Single(TestJson.VerifyTokens(await client.WaitForEmailsAsync(email, 2)), t => t != attackersLink);

        // The attacker's earlier link was voided by the newer signup, with or without a password.
        await ProblemAssert.IsProblemAsync(await Verify(attackersLink), HttpStatusCode.BadRequest, "invalid_token");
        await ProblemAssert.IsProblemAsync(await Verify(attackersLink, AttackerPassword), HttpStatusCode.BadRequest, "invalid_token");
        await ProblemAssert.IsProblemAsync(await Verify(attackersLink, VictimPassword), HttpStatusCode.BadRequest, "invalid_token");

        // Two signups on the address: the victim's link needs the victim's password.
        var missing = await ProblemAssert.IsProblemAsync(await Verify(victimsLink), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(missing, "password"));
        var verified = await Verify(victimsLink, VictimPassword);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        TestJson.AssertUser(await TestJson.ReadAsync(verified), email, emailVerified: true, displayName: "Victim");

        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, AttackerPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
        var signedIn = await client.SigninAsync(email, VictimPassword);
        Assert.Equal("Victim", signedIn.Body.GetProperty("user").GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task AttackerSignsUpAfterVictim_TheNewestLinkIsUselessWithoutTheAttackersPassword_VictimRecoversBySigningUpAgain()
    {
        var email = AuthClient.NewEmail("victim");
        await client.SignupAsync(email, VictimPassword, "Victim");
        var victimsLink = await client.TokenFromEmailAsync(email);
        await client.SignupAsync(email, AttackerPassword, "Attacker");
        var attackersLink = Assert.Single(TestJson.VerifyTokens(await client.WaitForEmailsAsync(email, 2)), t => t != victimsLink);

        // The victim clicks the newest mail: without the attacker's password it activates nothing, and stays unused.
        var missing = await ProblemAssert.IsProblemAsync(await Verify(attackersLink), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(missing, "password"));
        var wrong = await ProblemAssert.IsProblemAsync(await Verify(attackersLink, VictimPassword), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["mismatch"], ProblemAssert.FieldErrors(wrong, "password"));
        await ProblemAssert.IsProblemAsync(await Verify(victimsLink, VictimPassword), HttpStatusCode.BadRequest, "invalid_token");

        // Signing up again mails a link bound to the victim's credential and voids the attacker's.
        await client.SignupAsync(email, VictimPassword, "Victim");
        var fresh = TestJson.VerifyTokens(await client.WaitForEmailsAsync(email, 3))[0];
        Assert.Equal(HttpStatusCode.OK, (await Verify(fresh, VictimPassword)).StatusCode);
        await ProblemAssert.IsProblemAsync(await Verify(attackersLink, AttackerPassword), HttpStatusCode.BadRequest, "invalid_token");
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, AttackerPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
        await client.SigninAsync(email, VictimPassword);
    }

    [Fact]
    public async Task MultiSignupLink_MissingOrWrongPassword_DoesNotConsumeTheToken()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email, AttackerPassword);
        await client.SignupAsync(email, VictimPassword);
        var link = await client.TokenFromEmailAsync(email); // the newest signup's (the older one's mail may never go out)

        for (var i = 0; i < 2; i++)
        {
            var missing = await ProblemAssert.IsProblemAsync(await Verify(link, ""), HttpStatusCode.BadRequest, "validation_failed");
            Assert.Equal(["required"], ProblemAssert.FieldErrors(missing, "password"));
            var wrong = await ProblemAssert.IsProblemAsync(await Verify(link, AttackerPassword), HttpStatusCode.BadRequest, "validation_failed");
            Assert.Equal(["mismatch"], ProblemAssert.FieldErrors(wrong, "password"));
        }
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, VictimPassword), HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.Equal(HttpStatusCode.OK, (await Verify(link, VictimPassword)).StatusCode);
        await ProblemAssert.IsProblemAsync(await Verify(link, VictimPassword), HttpStatusCode.BadRequest, "invalid_token");
        await client.SigninAsync(email, VictimPassword);
    }

    [Fact]
    public async Task SingleSignup_TokenAloneVerifies_AndActivatesThatSignupsCredential()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email, VictimPassword, "Only Me");
        var link = await client.TokenFromEmailAsync(email);

        var verified = await Verify(link);

        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        TestJson.AssertUser(await TestJson.ReadAsync(verified), email, emailVerified: true, displayName: "Only Me");
        await client.SigninAsync(email, VictimPassword);
        await using var db = client.OpenDatabase();
        Assert.True(await db.ExecuteScalarAsync<bool>("""
            SELECT u.password_hash = s.password_hash AND s.voided_at IS NOT NULL FROM users u JOIN signups s ON s.user_id = u.id WHERE u.email = @email
            """, new { email }));
    }

    [Fact]
    public async Task SameTokenVerifiedConcurrently_ExactlyOneSucceeds()
    {
        var single = AuthClient.NewEmail("single");
        await client.SignupAsync(single);
        var singleLink = await client.TokenFromEmailAsync(single);
        var multi = AuthClient.NewEmail("multi");
        await client.SignupAsync(multi, AttackerPassword);
        await client.SignupAsync(multi, VictimPassword);
        var multiLink = await client.TokenFromEmailAsync(multi); // the newest signup's (the older one's mail may never go out)

        var singles = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Verify(singleLink)));
        var multis = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Verify(multiLink, VictimPassword)));

        foreach (var answers in new[] { singles, multis })
        {
            Assert.Single(answers, r => r.StatusCode == HttpStatusCode.OK);
            foreach (var refused in answers.Where(r => r.StatusCode != HttpStatusCode.OK))
                await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_token");
        }
        await using var db = client.OpenDatabase();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("""
            SELECT count(*) FROM audit_events a JOIN users u ON u.id = a.user_id WHERE u.email = @single AND a.kind = 'email_verified'
            """, new { single }));
    }

    [Fact]
    public async Task VerifiedAccount_IsNeverTouchedBySignup_OrResend()
    {
        var email = await client.CreateVerifiedUserAsync(password: VictimPassword);
        await client.SignupAsync(email, AttackerPassword, "Attacker");
        await client.PostJsonAsync("/auth/resend-verification", new { email });
        await client.WaitForBackgroundWorkAsync();

        var emails = await client.EmailsAsync(email);
        Assert.Single(TestJson.VerifyTokens(emails)); // only the original link: a notice, no new link
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, AttackerPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
        var me = await client.SigninAsync(email, VictimPassword);
        Assert.Equal(JsonValueKindNull, me.Body.GetProperty("user").GetProperty("displayName").ValueKind);
    }

    [Fact]
    public async Task PasswordReset_OfAnUnverifiedAddress_VoidsItsPendingSignupsAndVerifyLinks()
    {
        var email = AuthClient.NewEmail("victim");
        await client.SignupAsync(email, AttackerPassword, "Attacker");
        var attackersLink = await client.TokenFromEmailAsync(email);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var resetToken = await client.TokenFromEmailAsync(email, "reset-password");
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostJsonAsync("/auth/password/reset", new { token = resetToken, newPassword = VictimPassword })).StatusCode);

        await ProblemAssert.IsProblemAsync(await Verify(attackersLink), HttpStatusCode.BadRequest, "invalid_token");
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, AttackerPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
        var victim = await client.SigninAsync(email, VictimPassword);
        // The squatter's display name does not survive either: nobody confirmed that signup.
        var me = await TestJson.ReadAsync(await client.GetWithBearerAsync("/auth/me", victim.AccessToken));
        Assert.Equal(JsonValueKindNull, me.GetProperty("displayName").ValueKind);
        await using var db = client.OpenDatabase();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM signups s JOIN users u ON u.id = s.user_id WHERE u.email = @email AND s.voided_at IS NULL", new { email }));
    }

    [Fact]
    public async Task VictimVerifiesWhileAnAttackerSignsUp_InParallel_TheAttackersPasswordNeverSignsIn()
    {
        for (var round = 0; round < 8; round++)
        {
            var email = AuthClient.NewEmail("race");
            await client.SignupAsync(email, VictimPassword, "Victim");
            var victimsLink = await client.TokenFromEmailAsync(email);

            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var verify = Task.Run(async () => { await start.Task; return await Verify(victimsLink); });
            var signup = Task.Run(async () => { await start.Task; return await client.SignupAsync(email, AttackerPassword, "Attacker"); });
            start.SetResult();
            var (verified, signedUp) = (await verify, await signup);

            // Whichever won, the answers are the contract's, and the squatter's credential is not active.
            Assert.Equal(HttpStatusCode.Accepted, signedUp.StatusCode);
            Assert.True(verified.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"round {round}: verify answered {(int)verified.StatusCode}");
            await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, AttackerPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
            if (verified.StatusCode == HttpStatusCode.OK)
            {
                var signedIn = await client.SigninAsync(email, VictimPassword);
                Assert.Equal("Victim", signedIn.Body.GetProperty("user").GetProperty("displayName").GetString());
            }
        }
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    private Task<HttpResponseMessage> Verify(string token, string? password = null) =>
        password is null ? client.PostJsonAsync("/auth/verify-email", new { token }) : client.PostJsonAsync("/auth/verify-email", new { token, password });
}
