using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace AuthService.Tests.Infrastructure;

public sealed record ReceivedEmail(string To, string Subject, string Raw);

/// <summary>How the test SMTP server listens: TLS (<c>starttls</c> required, or <c>smtps</c> from the first byte)
/// with a PEM certificate and key, and AUTH required with these credentials when <see cref="Username"/> is set.</summary>
public sealed record SmtpServerOptions(string Tls = "none", string? CertificatePem = null, string? KeyPem = null,
    string? Username = null, string? Password = null);

/// <summary>
/// A real SMTP server for the tests: Debian's aiosmtpd (python3-aiosmtpd, installed by
/// scripts/install-deps.sh) writing every accepted message to a maildir that the test reads.
/// Can be stopped and started again on the same port to simulate an outage. With
/// <see cref="SmtpServerOptions"/> it speaks TLS and/or requires AUTH (a small aiosmtpd script), and
/// stamps each stored message with <c>X-Test-Tls</c> (the TLS version, or <c>none</c>) and
/// <c>X-Test-Auth</c> (the login, or <c>none</c>), so a test sees how the mail arrived.
/// </summary>
public sealed partial class SmtpServer : IAsyncDisposable
{
    private readonly string maildir = Path.Combine(Path.GetTempPath(), $"auth-tests-smtp-{Guid.NewGuid():N}");
    private readonly SmtpServerOptions? options;
    private Process? process;

    private SmtpServer(SmtpServerOptions? options) => this.options = options;

    public int Port { get; } = FreePort.Next();

    public static async Task<SmtpServer> StartAsync(SmtpServerOptions? options = null)
    {
        var server = new SmtpServer(options);
        await server.StartAgainAsync();
        return server;
    }

    private const string Script = """
        import asyncio, json, ssl, sys
        from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
        from aiosmtpd.handlers import Mailbox
        cfg = json.loads(sys.argv[1])
        class Stamped(Mailbox):
            async def handle_DATA(self, server, session, envelope):
                message = self.prepare_message(session, envelope)
                tls = server.transport.get_extra_info("ssl_object") if server.transport else None
                message["X-Test-Tls"] = tls.version() if tls else "none"
                message["X-Test-Auth"] = session.login_data.decode() if session.authenticated and session.login_data else "none"
                self.handle_message(message)
                return "250 OK"
        def context():
            c = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            c.load_cert_chain(cfg["cert"], cfg["key"])
            return c
        authenticator = None
        if cfg.get("user"):
            def authenticator(server, session, envelope, mechanism, data):
                ok = isinstance(data, LoginPassword) and data.login == cfg["user"].encode() and data.password == cfg["password"].encode()
                return AuthResult(success=True, auth_data=data) if ok else AuthResult(success=False, handled=False)
        handler = Stamped(cfg["maildir"])
        starttls = cfg["tls"] == "starttls"
        def factory():
            return SMTP(handler, tls_context=context() if starttls else None, require_starttls=starttls,
                        authenticator=authenticator, auth_required=authenticator is not None, auth_require_tls=False)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(loop.create_server(factory, host="127.0.0.1", port=cfg["port"],
                                                   ssl=context() if cfg["tls"] == "smtps" else None))
        loop.run_forever()
        """;

    public async Task StartAgainAsync()
    {
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (options is null)
        {
            foreach (var arg in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{Port}", "-c", "aiosmtpd.handlers.Mailbox", maildir })
                psi.ArgumentList.Add(arg);
        }
        else
        {
            // Beside the maildir, not in it: Python's Maildir makes new/, cur/ and tmp/ only when it creates the folder.
            string? cert = null, key = null;
            if (options.CertificatePem is not null)
            {
                await File.WriteAllTextAsync(cert = maildir + ".crt", options.CertificatePem);
                await File.WriteAllTextAsync(key = maildir + ".key", options.KeyPem);
            }
            var cfg = System.Text.Json.JsonSerializer.Serialize(new
            {
                port = Port, maildir, tls = options.Tls, cert, key, user = options.Username, password = options.Password,
            });
            foreach (var arg in new[] { "-c", Script, cfg }) psi.ArgumentList.Add(arg);
        }
        process = Process.Start(psi) ?? throw new InvalidOperationException("python3 -m aiosmtpd did not start (apt-get install python3-aiosmtpd).");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"aiosmtpd exited with {process.ExitCode} (is python3-aiosmtpd installed?).");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    public async Task StopAsync()
    {
        if (process is null || process.HasExited) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    /// <summary>Every message received so far (maildir new/ and cur/), in arrival order.</summary>
    public IReadOnlyList<ReceivedEmail> Received()
    {
        var files = new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(Directory.Exists)
            .SelectMany(Directory.GetFiles).OrderBy(ArrivalKey).ToList();
        return files.Select(f =>
        {
            var raw = File.ReadAllText(f);
            return new ReceivedEmail(Header(raw, "To"), DecodeSubject(Header(raw, "Subject")), raw);
        }).ToList();
    }

    /// <summary>
    /// Python's Maildir names a message "{seconds}.M{microseconds}P{pid}Q{counter}.{host}"; the
    /// microseconds are not zero-padded, so the names only sort in arrival order when read as numbers.
    /// </summary>
    private static (long Seconds, long Micros, long Counter, string Name) ArrivalKey(string path)
    {
        var name = Path.GetFileName(path);
        var match = MaildirName().Match(name);
        return match.Success
            ? (long.Parse(match.Groups[1].Value), long.Parse(match.Groups[2].Value), long.Parse(match.Groups[3].Value), name)
            : (long.MaxValue, 0, 0, name);
    }

    [GeneratedRegex(@"^(\d+)\.M(\d+)P\d+Q(\d+)\.")]
    private static partial Regex MaildirName();

    /// <summary>Waits until <paramref name="predicate"/> holds for the received mail, or fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<ReceivedEmail>> WaitForAsync(Func<IReadOnlyList<ReceivedEmail>, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var received = Received();
            if (predicate(received)) return received;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"SMTP server did not receive the expected mail; it has {received.Count} message(s).");
            await Task.Delay(50);
        }
    }

    private static string Header(string raw, string name)
    {
        using var reader = new StringReader(raw);
        string? line;
        string? value = null;
        while ((line = reader.ReadLine()) is { Length: > 0 })
        {
            if (value is not null && (line[0] == ' ' || line[0] == '\t')) { value += line.Trim(); continue; }
            if (value is not null) break;
            if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) value = line[(name.Length + 1)..].Trim();
        }
        return value ?? "";
    }

    /// <summary>Decodes RFC 2047 encoded words (=?utf-8?B?…?=), which MimeKit uses for non-ASCII subjects.</summary>
    private static string DecodeSubject(string value) =>
        Regex.Replace(Regex.Replace(value, @"\?=\s+=\?", "?==?"), @"=\?([^?]+)\?([BbQq])\?([^?]*)\?=", m =>
        {
            var encoding = Encoding.GetEncoding(m.Groups[1].Value);
            return m.Groups[2].Value is "B" or "b"
                ? encoding.GetString(Convert.FromBase64String(m.Groups[3].Value))
                : DecodeQ(m.Groups[3].Value, encoding);
        });

    private static string DecodeQ(string value, Encoding encoding)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '_') bytes.Add((byte)' ');
            else if (value[i] == '=' && i + 2 < value.Length) { bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16)); i += 2; }
            else bytes.Add((byte)value[i]);
        }
        return encoding.GetString(bytes.ToArray());
    }


    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(maildir, recursive: true); } catch { /* best effort */ }
        File.Delete(maildir + ".crt");
        File.Delete(maildir + ".key");
    }
}
