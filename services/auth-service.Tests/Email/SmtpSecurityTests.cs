using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Email;

/// <summary>
/// The MailKit transport against a real aiosmtpd speaking STARTTLS, implicit TLS and AUTH. The relay's
/// self-signed certificate (made here) is trusted through <c>Email:Smtp:ServerCertificate</c>, the
/// production way to trust an internal relay; without it the certificate is refused.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SmtpSecurityTests : IDisposable
{
    private const string User = "relay-user";
    private const string Secret = "relay secret 42";

    private readonly string certificateFile = Path.Combine(Path.GetTempPath(), $"auth-tests-smtp-cert-{Guid.NewGuid():N}.pem");
    private readonly string certificatePem;
    private readonly string keyPem;

    public SmtpSecurityTests()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        certificatePem = certificate.ExportCertificatePem();
        keyPem = key.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(certificateFile, certificatePem);
    }

    public void Dispose() => File.Delete(certificateFile);

    private SmtpServerOptions Tls(string mode, bool auth = false) =>
        new(mode, certificatePem, keyPem, auth ? User : null, auth ? Secret : null);

    private static Dictionary<string, string?> Settings(SmtpServer smtp, string security, string? certificate, string? user = null, string? password = null) => new()
    {
        ["Email:Transport"] = "smtp",
        ["Email:Smtp:Host"] = "127.0.0.1",
        ["Email:Smtp:Port"] = smtp.Port.ToString(),
        ["Email:Smtp:Security"] = security,
        ["Email:Smtp:ServerCertificate"] = certificate,
        ["Email:Smtp:Username"] = user,
        ["Email:Smtp:Password"] = password,
        ["Email:Smtp:Timeout"] = "00:00:05",
        ["Email:From"] = "no-reply@auth.test",
        ["Email:MaxAttempts"] = "2",
    };

    private static async Task<ReceivedEmail> SignupMailAsync(SmtpServer smtp, AuthServiceFactory factory)
    {
        var client = new AuthClient(factory);
        var email = AuthClient.NewEmail("tls");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);
        var received = await smtp.WaitForAsync(r => r.Any(m => m.To.Contains(email)), TimeSpan.FromSeconds(30));
        return received.Single(m => m.To.Contains(email));
    }

    private static string Header(ReceivedEmail mail, string name) =>
        mail.Raw.Split('\n').Select(l => l.TrimEnd('\r')).First(l => l.StartsWith(name + ": ", StringComparison.Ordinal))[(name.Length + 2)..];

    [Fact]
    public async Task StartTls_DeliversEncrypted_WhenTheRelaysCertificateIsPinned()
    {
        await using var smtp = await SmtpServer.StartAsync(Tls("starttls"));
        await using var factory = await AuthServiceFactory.CreateAsync(Settings(smtp, "StartTls", certificateFile));

        var mail = await SignupMailAsync(smtp, factory);

        Assert.StartsWith("TLSv1.", Header(mail, "X-Test-Tls"));
        Assert.Contains("multipart/alternative", mail.Raw);
        Assert.Contains("text/plain", mail.Raw);
        Assert.Contains("text/html", mail.Raw);
    }

    [Fact]
    public async Task ImplicitTls_SslOnConnect_DeliversEncrypted()
    {
        await using var smtp = await SmtpServer.StartAsync(Tls("smtps"));
        await using var factory = await AuthServiceFactory.CreateAsync(Settings(smtp, "SslOnConnect", certificateFile));

        var mail = await SignupMailAsync(smtp, factory);

        Assert.StartsWith("TLSv1.", Header(mail, "X-Test-Tls"));
    }

    [Fact]
    public async Task Auth_SendsTheConfiguredCredentials_OverStartTls()
    {
        await using var smtp = await SmtpServer.StartAsync(Tls("starttls", auth: true));
        await using var factory = await AuthServiceFactory.CreateAsync(Settings(smtp, "StartTls", certificateFile, User, Secret));

        var mail = await SignupMailAsync(smtp, factory);

        Assert.Equal(User, Header(mail, "X-Test-Auth"));
        Assert.StartsWith("TLSv1.", Header(mail, "X-Test-Tls"));
    }

    [Fact]
    public async Task Auth_WrongPassword_IsNotDelivered_AndTheErrorIsKept()
    {
        await using var smtp = await SmtpServer.StartAsync(Tls("starttls", auth: true));
        await using var factory = await AuthServiceFactory.CreateAsync(Settings(smtp, "StartTls", certificateFile, User, "wrong"));

        var lastError = await FirstFailureAsync(factory);

        Assert.Contains("Authentication", lastError, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(smtp.Received());
    }

    [Fact]
    public async Task StartTls_UntrustedCertificate_IsRefused()
    {
        // No ServerCertificate: the self-signed certificate is not trusted, so nothing is sent in the clear or otherwise.
        await using var smtp = await SmtpServer.StartAsync(Tls("starttls"));
        await using var factory = await AuthServiceFactory.CreateAsync(Settings(smtp, "StartTls", certificate: null));

        var lastError = await FirstFailureAsync(factory);

        Assert.Contains("certificate", lastError, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(smtp.Received());
    }

    [Fact]
    public async Task StartTlsFlagContradictingSecurity_StopsTheServiceAtStartup()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var failure = await AuthServiceFactory.StartupFailureAsync(database, new Dictionary<string, string?>
        {
            ["Email:Smtp:StartTls"] = "true",
            ["Email:Smtp:Security"] = "None",
        });
        Assert.Contains("Email:Smtp:StartTls", failure);
    }

    private static async Task<string> FirstFailureAsync(AuthServiceFactory factory)
    {
        var client = new AuthClient(factory);
        var email = AuthClient.NewEmail("refused");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);
        await using var db = client.OpenDatabase();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var row = await db.QuerySingleAsync<(int Attempts, DateTime? SentAt, string? LastError)>(
                "SELECT attempts, sent_at, last_error FROM outbox_emails WHERE \"to\" = @email", new { email });
            if (row.Attempts >= 1)
            {
                Assert.Null(row.SentAt);
                return row.LastError ?? "";
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The outbox never tried the mail.");
            await Task.Delay(100);
        }
    }
}
