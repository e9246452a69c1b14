using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Mfa;

/// <summary>Setting TOTP up: the secret three ways, pending until a right code confirms it, sealed at rest; the user object's mfa.</summary>
public sealed class TotpEnrolmentTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    [Fact]
    public async Task Setup_AnswersSecretUriAndSvg_AndStaysPendingUntilConfirmed()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        var setup = await MfaKit.SetupAsync(client, session);
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        Assert.Equal("no-store", setup.Headers.CacheControl?.ToString());
        var body = await MfaKit.JsonAsync(setup);
        var secret = body.GetProperty("secret").GetString()!;
        Assert.Matches("^[A-Z2-7]{32}$", secret); // 160 bits
        Assert.Equal(20, Rfc6238.Base32Decode(secret).Length);
        Assert.Equal($"otpauth://totp/auth-service:{Uri.EscapeDataString(email)}?secret={secret}&issuer=auth-service&algorithm=SHA1&digits=6&period=30",
            body.GetProperty("otpauthUri").GetString());
        var svg = body.GetProperty("qrSvg").GetString()!;
        Assert.StartsWith("<svg", svg.TrimStart());
        Assert.Contains("</svg>", svg);

        // Pending: signin still needs only the password, and the user object says off.
        var me = await MfaKit.JsonAsync(await client.GetWithBearerAsync("/auth/me", session.AccessToken));
        Assert.False(me.GetProperty("mfa").GetProperty("totp").GetBoolean());
        var plain = await client.SigninRawAsync(email);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.True((await MfaKit.JsonAsync(plain)).TryGetProperty("accessToken", out _));
    }

    [Fact]
    public async Task Confirm_WithAWrongCode_Fails_AndTotpStaysOff_ThenARightCodeTurnsItOn()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        var secret = Rfc6238.Base32Decode((await MfaKit.JsonAsync(await MfaKit.SetupAsync(client, session))).GetProperty("secret").GetString()!);
        var now = fixture.Factory.Clock.GetUtcNow();
        var right = Rfc6238.Code(secret, now);
        var wrong = right == "000000" ? "000001" : "000000";

        await ProblemAssert.IsProblemAsync(await MfaKit.ConfirmAsync(client, session, wrong), HttpStatusCode.Unauthorized, "mfa_invalid");
        await ProblemAssert.IsProblemAsync(await MfaKit.ConfirmAsync(client, session, Rfc6238.Code(secret, Rfc6238.Step(now) + 2)),
            HttpStatusCode.Unauthorized, "mfa_invalid");
        var me = await MfaKit.JsonAsync(await client.GetWithBearerAsync("/auth/me", session.AccessToken));
        Assert.False(me.GetProperty("mfa").GetProperty("totp").GetBoolean());

        var confirm = await MfaKit.ConfirmAsync(client, session, right);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        var codes = (await MfaKit.JsonAsync(confirm)).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        Assert.Equal(10, codes.Length);
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$", c));

        me = await MfaKit.JsonAsync(await client.GetWithBearerAsync("/auth/me", session.AccessToken));
        Assert.True(me.GetProperty("mfa").GetProperty("totp").GetBoolean());
        var userId = Guid.Parse(me.GetProperty("id").GetString()!);
        Assert.Contains("totp_enabled", await MfaKit.AuditKindsAsync(client, userId));
        var mails = await client.WaitForEmailsAsync(email, 2);
        Assert.Contains(mails, m => m.GetProperty("subject").GetString()!.Contains("Two-step verification is on"));

        // Stored: the secret sealed (not in the clear), the codes as SHA-256 only.
        await using var conn = client.OpenDatabase();
        var row = await conn.QuerySingleAsync<(byte[] Box, string KekId, DateTime? ConfirmedAt)>(
            "SELECT sealed_secret, kek_id, confirmed_at FROM totp_secrets WHERE user_id = @userId", new { userId });
        Assert.NotNull(row.ConfirmedAt);
        Assert.False(row.Box.AsSpan().IndexOf(secret) >= 0);
        var hashes = (await conn.QueryAsync<byte[]>("SELECT code_hash FROM recovery_codes WHERE user_id = @userId", new { userId })).ToList();
        Assert.Equal(10, hashes.Count);
        Assert.All(hashes, h => Assert.Equal(32, h.Length));

        // On already: a new setup and a second confirmation are refused.
        await ProblemAssert.IsProblemAsync(await MfaKit.SetupAsync(client, session), HttpStatusCode.Conflict, "totp_enabled");
        await ProblemAssert.IsProblemAsync(await MfaKit.ConfirmAsync(client, session, right), HttpStatusCode.Conflict, "totp_enabled");
    }

    [Fact]
    public async Task ANewSetup_ReplacesThePendingOne()
    {
        var session = await client.SignupAndSigninAsync();
        var first = Rfc6238.Base32Decode((await MfaKit.JsonAsync(await MfaKit.SetupAsync(client, session))).GetProperty("secret").GetString()!);
        var second = Rfc6238.Base32Decode((await MfaKit.JsonAsync(await MfaKit.SetupAsync(client, session))).GetProperty("secret").GetString()!);
        Assert.NotEqual(first, second);
        var now = fixture.Factory.Clock.GetUtcNow();
        if (Rfc6238.Code(first, now) != Rfc6238.Code(second, now))
            await ProblemAssert.IsProblemAsync(await MfaKit.ConfirmAsync(client, session, Rfc6238.Code(first, now)), HttpStatusCode.Unauthorized, "mfa_invalid");
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.ConfirmAsync(client, session, Rfc6238.Code(second, now))).StatusCode);
    }

    [Fact]
    public async Task Confirm_WithoutASetup_Is409()
    {
        var session = await client.SignupAndSigninAsync();
        await ProblemAssert.IsProblemAsync(await MfaKit.ConfirmAsync(client, session, "123456"), HttpStatusCode.Conflict, "totp_not_enabled");
    }

    [Fact]
    public async Task Endpoints_NeedABearer()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync("/auth/mfa/totp/setup", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync("/auth/mfa/totp/confirm", new { code = "123456" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync("/auth/mfa/recovery-codes", new { code = "123456" })).StatusCode);
    }

    [Fact]
    public async Task Export_ShowsTotpOn_AfterEnabling()
    {
        var user = await MfaKit.TotpUserAsync(client);
        var export = await MfaKit.JsonAsync(await client.GetWithBearerAsync("/auth/me/export", user.Session.AccessToken));
        Assert.True(export.GetProperty("factors").GetProperty("totp").GetBoolean());
        Assert.True(export.GetProperty("profile").GetProperty("mfa").GetProperty("totp").GetBoolean());
        // No secret in the export: neither the TOTP secret nor a recovery code.
        var text = export.GetRawText();
        Assert.DoesNotContain(user.SecretBase32, text);
        Assert.All(user.RecoveryCodes, c => Assert.DoesNotContain(c, text));
        Assert.Contains(export.GetProperty("auditEvents").EnumerateArray(), e => e.GetProperty("kind").GetString() == "totp_enabled");
    }
}
