using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Mfa;

/// <summary>A user with TOTP on (secret and recovery codes known to the test), and the calls the MFA tests make.</summary>
public sealed record TotpUser(string Email, Guid Id, byte[] Secret, string SecretBase32, string[] RecoveryCodes, SignedIn Session);

public static class MfaKit
{
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    public static Task<HttpResponseMessage> SetupAsync(AuthClient client, SignedIn session) =>
        client.SendWithBearerAsync(HttpMethod.Post, "/auth/mfa/totp/setup", session.AccessToken);

    public static Task<HttpResponseMessage> ConfirmAsync(AuthClient client, SignedIn session, string code) =>
        client.SendWithBearerAsync(HttpMethod.Post, "/auth/mfa/totp/confirm", session.AccessToken, new { code });

    /// <summary>Signs up, signs in, sets TOTP up and confirms it with a code of the current step.</summary>
    public static async Task<TotpUser> TotpUserAsync(AuthClient client)
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        var setup = await SetupAsync(client, session);
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        var base32 = (await JsonAsync(setup)).GetProperty("secret").GetString()!;
        var secret = Rfc6238.Base32Decode(base32);
        var confirm = await ConfirmAsync(client, session, Rfc6238.Code(secret, client.Factory.Clock.GetUtcNow()));
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        var codes = (await JsonAsync(confirm)).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var id = Guid.Parse(session.Body.GetProperty("user").GetProperty("id").GetString()!);
        return new TotpUser(email, id, secret, base32, codes, session);
    }

    /// <summary>Moves the clock to the start of the next step: the code accepted last is from an earlier step then.</summary>
    public static void NextStep(TestClock clock)
    {
        var now = clock.GetUtcNow();
        var next = DateTimeOffset.FromUnixTimeSeconds((Rfc6238.Step(now) + 1) * Rfc6238.StepSeconds);
        clock.Set(next);
    }

    public static string CurrentCode(TotpUser user, TestClock clock, int stepOffset = 0) =>
        Rfc6238.Code(user.Secret, Rfc6238.Step(clock.GetUtcNow()) + stepOffset);

    /// <summary>The first step of signin: the password; asserts it asks for the second factor and returns the mfaToken.</summary>
    public static async Task<string> MfaTokenAsync(AuthClient client, string email)
    {
        var response = await client.SigninRawAsync(email);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.True(body.GetProperty("mfaRequired").GetBoolean());
        return body.GetProperty("mfaToken").GetString()!;
    }

    public static Task<HttpResponseMessage> SigninMfaAsync(AuthClient client, string mfaToken, string? code = null, string? recoveryCode = null) =>
        client.PostJsonAsync("/auth/signin/mfa", recoveryCode is null ? new { mfaToken, code } : (object)new { mfaToken, recoveryCode });

    /// <summary>Both steps with a fresh TOTP code (the clock moved to the next step first).</summary>
    public static async Task<SignedIn> SigninWithCodeAsync(AuthClient client, TotpUser user)
    {
        NextStep(client.Factory.Clock);
        var token = await MfaTokenAsync(client, user.Email);
        var response = await SigninMfaAsync(client, token, CurrentCode(user, client.Factory.Clock));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await AuthClient.ReadSignedInAsync(response);
    }

    public static async Task<int?> FailureCountAsync(AuthClient client, string email)
    {
        await using var conn = client.OpenDatabase();
        return await conn.QuerySingleOrDefaultAsync<int?>("SELECT count FROM signin_failures WHERE email = @email", new { email });
    }

    public static async Task<string[]> AuditKindsAsync(AuthClient client, Guid userId)
    {
        await using var conn = client.OpenDatabase();
        return (await conn.QueryAsync<string>("SELECT kind FROM audit_events WHERE user_id = @userId ORDER BY id", new { userId })).ToArray();
    }
}
