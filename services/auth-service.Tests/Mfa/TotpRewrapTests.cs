using System.Net;
using AuthService.Mfa;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Tokens;
using AuthService.Tokens;
using Dapper;
using Npgsql;

namespace AuthService.Tests.Mfa;

/// <summary>rewrap-keys moves TOTP secrets to the newest key-encryption key too; the authenticator's codes keep working after the old key goes.</summary>
public sealed class TotpRewrapTests
{
    private static readonly string OldKek = TestKeys.NewKek();
    private static readonly string NewKek = TestKeys.NewKek();

    [Fact]
    public async Task RewrapKeys_ResealsTotpSecrets_AndCodesStillWorkUnderTheNewKeyAlone()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        TotpUser user;
        await using (var old = await new AuthServiceFactory(database, new Dictionary<string, string?> { ["Auth:KeyEncryptionKey"] = OldKek }).StartAsync())
            user = await MfaKit.TotpUserAsync(new AuthClient(old));
        Assert.Equal("legacy", (await TotpRowAsync(database, user.Id)).KekId);

        await using (var rotated = new AuthServiceFactory(database, TestKeys.KeyEncryptionKeySettings(("2025-07", NewKek), ("legacy", OldKek))))
        {
            using StringWriter output = new(), error = new();
            Assert.Equal(0, await KeyEncryptionCommands.RewrapAsync(rotated.Services, output, error));
            // The signing key, the refresh successor key and the TOTP secret.
            Assert.Contains("3 sealed secrets are under key-encryption key '2025-07' (3 rewrapped, 0 already were)", output.ToString());
        }
        var row = await TotpRowAsync(database, user.Id);
        Assert.Equal("2025-07", row.KekId);
        var newOnly = TestKeys.Secrets(TestKeys.Options(("2025-07", NewKek)));
        Assert.Equal(user.Secret, newOnly.Open(row.Box, row.KekId, MfaStore.AssociatedData(user.Id.ToString())));

        await using var newKeyOnly = await new AuthServiceFactory(database, TestKeys.KeyEncryptionKeySettings(("2025-07", NewKek))).StartAsync();
        var client = new AuthClient(newKeyOnly);
        MfaKit.NextStep(newKeyOnly.Clock);
        var token = await MfaKit.MfaTokenAsync(client, user.Email);
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, token, MfaKit.CurrentCode(user, newKeyOnly.Clock))).StatusCode);
    }

    private static async Task<(byte[] Box, string KekId)> TotpRowAsync(string database, Guid userId)
    {
        await using var conn = new NpgsqlConnection(database);
        return await conn.QuerySingleAsync<(byte[], string)>("SELECT sealed_secret, kek_id FROM totp_secrets WHERE user_id = @userId", new { userId });
    }
}
