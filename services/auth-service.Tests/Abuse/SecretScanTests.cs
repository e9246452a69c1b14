using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using AuthService.Tests.Infrastructure;
using AuthService.Tokens;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace AuthService.Tests.Abuse;

/// <summary>The service with every log category at Trace, so a secret that is logged anywhere shows up.</summary>
public sealed class TraceLoggingFixture : IAsyncLifetime
{
    public AuthServiceFactory Factory { get; private set; } = null!;

    public async Task InitializeAsync() => Factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        ["Logging:LogLevel:System"] = "Trace",
    });

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>
/// A full account lifecycle with verbose logging, then every log line is searched for the secrets
/// that went by: passwords, verify/reset tokens, refresh and access tokens, the signing key's private
/// half and the key-encryption key. None may appear.
/// </summary>
public sealed class SecretScanTests(TraceLoggingFixture fixture, ITestOutputHelper output) : IClassFixture<TraceLoggingFixture>
{
    private AuthServiceFactory Factory => fixture.Factory;

    [Fact]
    public async Task FullFlowWithTraceLogging_LogsNoSecret()
    {
        var client = new AuthClient(Factory);
        var secrets = new Dictionary<string, string>(); // label -> value
        var email = AuthClient.NewEmail("secret");
        const string firstPassword = "Correct Horse Battery Staple 7781";
        const string wrongPassword = "Wrong Horse Battery Staple 5512";
        const string resetPassword = "Reset-Otter-Lantern-Quasar-3390";
        const string changedPassword = "Changed Zebra Umbrella Mosaic 4417";
        secrets["first password"] = firstPassword;
        secrets["wrong password"] = wrongPassword;
        secrets["reset password"] = resetPassword;
        secrets["changed password"] = changedPassword;

        void Tokens(string label, SignedIn s)
        {
            secrets[$"{label} access token"] = s.AccessToken;
            secrets[$"{label} access token signature"] = s.AccessToken.Split('.')[2];
            secrets[$"{label} refresh token"] = s.RefreshToken;
        }

        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email, firstPassword)).StatusCode);
        var verifyToken = await client.TokenFromEmailAsync(email);
        secrets["verify token"] = verifyToken;
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = verifyToken })).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(email, wrongPassword)).StatusCode);
        var first = await client.SigninAsync(email, firstPassword);
        Tokens("signin", first);
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", first.AccessToken)).StatusCode);
        var refreshed = await AuthClient.ReadSignedInAsync(await client.RefreshAsync(first.RefreshToken));
        Tokens("refresh", refreshed);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForEmailsAsync(email, 2);
        var resetToken = await client.TokenFromEmailAsync(email, "reset-password");
        secrets["reset token"] = resetToken;
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostJsonAsync("/auth/password/reset", new { token = resetToken, newPassword = resetPassword })).StatusCode);
        // The reset revoked every session: the old tokens fail (and are still secrets).
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.RefreshAsync(refreshed.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", refreshed.AccessToken)).StatusCode);

        var afterReset = await client.SigninAsync(email, resetPassword);
        Tokens("after reset", afterReset);
        var change = await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", afterReset.AccessToken,
            new { currentPassword = resetPassword, newPassword = changedPassword });
        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        var afterChange = await AuthClient.ReadSignedInAsync(await client.RefreshAsync(afterReset.RefreshToken));
        Tokens("after change", afterChange);
        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(afterChange.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", afterChange.AccessToken)).StatusCode);
        var final = await client.SigninAsync(email, changedPassword);
        Tokens("final", final);
        await client.WaitForBackgroundWorkAsync();

        foreach (var (label, value) in await KeyMaterialAsync()) secrets[label] = value;

        var lines = Factory.Logs.Lines.ToList();
        output.WriteLine($"{lines.Count} log lines scanned for {secrets.Count} secrets");
        // The scan means something only if the verbose levels really were on.
        Assert.Contains(lines, l => l.StartsWith("Trace ", StringComparison.Ordinal) || l.StartsWith("Debug ", StringComparison.Ordinal));
        Assert.True(lines.Count > 100, $"only {lines.Count} log lines: is Trace logging on?");
        // Positive control: what the flow may log (the address the mail went to) is found by the same scan.
        Assert.Contains(lines, l => l.Contains(email, StringComparison.Ordinal));

        var leaks = (from secret in secrets
                     from line in lines
                     where line.Contains(secret.Value, StringComparison.Ordinal)
                     select $"{secret.Key} in: {(line.Length > 300 ? line[..300] + "…" : line)}").ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} secret(s) found in the logs:\n" + string.Join("\n", leaks.Take(10)));

        // The audit trail is a log too.
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        var audit = string.Join("\n", await conn.QueryAsync<string>("SELECT row_to_json(a)::text FROM audit_events a"));
        Assert.DoesNotContain(secrets, s => audit.Contains(s.Value, StringComparison.Ordinal));
    }

    /// <summary>The private half of every signing key (decrypted the way the service does) and the server's own keys, in the encodings a log could carry.</summary>
    private async Task<List<(string Label, string Value)>> KeyMaterialAsync()
    {
        var serverSecrets = Factory.Services.GetRequiredService<ServerSecrets>();
        var successorKey = Factory.Services.GetRequiredService<RefreshSuccessorKey>().Key;
        var material = new List<(string, string)>
        {
            ("refresh successor key (base64)", Convert.ToBase64String(successorKey)),
            ("refresh successor key (base64url)", Base64Url.EncodeToString(successorKey)),
            ("refresh successor key (hex)", Convert.ToHexString(successorKey)),
        };
        Assert.NotEmpty(serverSecrets.Keys);
        foreach (var kek in serverSecrets.Keys)
        {
            material.Add(($"key-encryption key {kek.Id} (base64)", Convert.ToBase64String(kek.Key)));
            material.Add(($"key-encryption key {kek.Id} (hex)", Convert.ToHexString(kek.Key)));
            material.Add(($"key-encryption key {kek.Id} (hex, lower)", Convert.ToHexStringLower(kek.Key)));
        }
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        var keys = (await conn.QueryAsync<(string Kid, byte[] PrivateKey, string KekId)>("SELECT kid, private_key, kek_id FROM signing_keys")).ToList();
        Assert.NotEmpty(keys);
        foreach (var (kid, sealedKey, kekId) in keys)
        {
            var pkcs8 = serverSecrets.Open(sealedKey, kekId, kid);
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            var d = ecdsa.ExportParameters(includePrivateParameters: true).D!;
            // The ring signs with this very key: the decryption is the service's own.
            Assert.Equal(kid, Factory.Services.GetRequiredService<SigningKeyRing>().Current.SignerAt(Factory.Clock.GetUtcNow()).Kid);
            material.Add(($"{kid} PKCS#8 (base64)", Convert.ToBase64String(pkcs8)));
            material.Add(($"{kid} d (base64url)", Base64Url.EncodeToString(d)));
            material.Add(($"{kid} d (base64)", Convert.ToBase64String(d)));
            material.Add(($"{kid} d (hex)", Convert.ToHexString(d)));
            material.Add(($"{kid} d (hex, lower)", Convert.ToHexStringLower(d)));
            var pemLines = ecdsa.ExportPkcs8PrivateKeyPem().Split('\n').Where(l => l.Length >= 40 && !l.StartsWith("-----", StringComparison.Ordinal));
            material.AddRange(pemLines.Select((l, i) => ($"{kid} PEM line {i + 1}", l.Trim())));
        }
        return material;
    }
}
