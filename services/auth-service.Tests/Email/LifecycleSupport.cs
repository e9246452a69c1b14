using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Email;

/// <summary>
/// One service instance per test class whose mail leaves through a real SMTP server (aiosmtpd):
/// Email:Transport=smtp pointed at <see cref="Smtp"/>. The dev mailbox (the outbox) stays readable.
/// </summary>
public class SmtpServiceFixture : IAsyncLifetime
{
    public const string ProductName = "Acme Accounts";

    public SmtpServer Smtp { get; private set; } = null!;
    public AuthServiceFactory Factory { get; private set; } = null!;

    public AuthClient NewClient() => new(Factory);

    public static Dictionary<string, string?> SmtpSettings(int port) => new()
    {
        ["Email:Transport"] = "smtp",
        ["Email:Smtp:Host"] = "127.0.0.1",
        ["Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Email:From"] = "no-reply@auth.test",
        ["Email:ProductName"] = ProductName,
    };

    public async Task InitializeAsync()
    {
        Smtp = await SmtpServer.StartAsync();
        Factory = await AuthServiceFactory.CreateAsync(SmtpSettings(Smtp.Port));
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Smtp.DisposeAsync();
    }

    /// <summary>Waits for the SMTP server to receive a message to <paramref name="to"/> matching <paramref name="match"/>.</summary>
    public async Task<ReceivedEmail> WaitForMailAsync(string to, Func<ReceivedEmail, bool>? match = null)
    {
        var received = await Smtp.WaitForAsync(r => r.Any(m => IsTo(m, to) && (match?.Invoke(m) ?? true)));
        return received.Last(m => IsTo(m, to) && (match?.Invoke(m) ?? true));
    }

    public IReadOnlyList<ReceivedEmail> MailTo(string to) => Smtp.Received().Where(m => IsTo(m, to)).ToList();

    private static bool IsTo(ReceivedEmail mail, string to) => mail.To.Contains(to, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Decodes what the SMTP server stored: the text/plain and text/html parts of a MIME message.</summary>
public static partial class Mime
{
    public sealed record Part(string MediaType, string Body);

    public static IReadOnlyList<Part> Parts(string raw)
    {
        var (headers, body) = Split(raw);
        var contentType = Header(headers, "Content-Type") ?? "text/plain";
        var mediaType = contentType.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType.StartsWith("multipart/", StringComparison.Ordinal))
        {
            var boundary = Boundary().Match(contentType).Groups[1].Value;
            var parts = new List<Part>();
            var pieces = body.Split("--" + boundary);
            foreach (var piece in pieces.Skip(1))
            {
                if (piece.StartsWith("--", StringComparison.Ordinal)) break; // closing delimiter
                parts.AddRange(Parts(piece.TrimStart('\r', '\n')));
            }
            return parts;
        }

        var charset = Charset().Match(contentType) is { Success: true } m ? m.Groups[1].Value : "us-ascii";
        var encoding = Encoding.GetEncoding(charset);
        var transfer = (Header(headers, "Content-Transfer-Encoding") ?? "7bit").Trim().ToLowerInvariant();
        var bytes = transfer switch
        {
            "base64" => Convert.FromBase64String(Regex.Replace(body, @"\s", "")),
            "quoted-printable" => DecodeQuotedPrintable(body),
            _ => Encoding.Latin1.GetBytes(body),
        };
        return [new Part(mediaType, encoding.GetString(bytes))];
    }

    public static string Text(ReceivedEmail mail) => Assert.Single(Parts(mail.Raw), p => p.MediaType == "text/plain").Body;

    public static string Html(ReceivedEmail mail) => Assert.Single(Parts(mail.Raw), p => p.MediaType == "text/html").Body;

    private static (string Headers, string Body) Split(string raw)
    {
        var normalized = raw.Replace("\r\n", "\n");
        var end = normalized.IndexOf("\n\n", StringComparison.Ordinal);
        return end < 0 ? (normalized, "") : (normalized[..end], normalized[(end + 2)..]);
    }

    private static string? Header(string headers, string name)
    {
        var unfolded = Regex.Replace(headers, @"\n[ \t]+", " ");
        foreach (var line in unfolded.Split('\n'))
            if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) return line[(name.Length + 1)..].Trim();
        return null;
    }

    private static byte[] DecodeQuotedPrintable(string body)
    {
        var text = Regex.Replace(body, @"=\r?\n", "");
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '=' && i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }
        return [.. bytes];
    }

    [GeneratedRegex("boundary=\"?([^\";]+)\"?", RegexOptions.IgnoreCase)]
    private static partial Regex Boundary();

    [GeneratedRegex("charset=\"?([^\";]+)\"?", RegexOptions.IgnoreCase)]
    private static partial Regex Charset();
}

/// <summary>Links in the service's emails.</summary>
public static partial class MailLinks
{
    /// <summary>The reset tokens linked from <paramref name="emails"/> (dev mailbox, newest first).</summary>
    public static string[] ResetTokens(IEnumerable<JsonElement> emails) =>
        emails.Select(e => ResetLink().Match(e.GetProperty("text").GetString()!))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();

    [GeneratedRegex(@"https://app\.test/reset-password\?token=([A-Za-z0-9_\-]+)")]
    public static partial Regex ResetLink();
}

/// <summary>
/// An HTTP client for the in-memory server that looks like a real connection: it has a remote IP
/// (Kestrel sets one; TestServer leaves it null) and a User-Agent, so audit rows, sessions and
/// notices have something to record.
/// </summary>
public sealed class OriginClient
{
    public OriginClient(AuthServiceFactory factory, string ip, string userAgent)
    {
        Ip = ip;
        UserAgent = userAgent;
        var address = IPAddress.Parse(ip);
        Http = new HttpClient(factory.Server.CreateHandler(context => context.Connection.RemoteIpAddress = address))
        {
            BaseAddress = factory.Server.BaseAddress,
        };
        Assert.True(Http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent));
    }

    public string Ip { get; }
    public string UserAgent { get; }
    public HttpClient Http { get; }

    public Task<HttpResponseMessage> PostJsonAsync(string path, object body) => Http.PostAsJsonAsync(path, body);

    public async Task<SignedIn> SigninAsync(string email, string password)
    {
        var response = await PostJsonAsync("/auth/signin", new { email, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await AuthClient.ReadSignedInAsync(response);
    }

    public Task<HttpResponseMessage> CookieRequestAsync(string path, string refreshToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Cookie", $"{AuthClient.CookieName}={refreshToken}");
        request.Headers.Add("X-Requested-With", "XMLHttpRequest");
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> RefreshAsync(string refreshToken) => CookieRequestAsync("/auth/refresh", refreshToken);

    /// <summary>Refreshes and returns the rotated cookie, asserting success.</summary>
    public async Task<string> RotateAsync(string refreshToken)
    {
        var response = await RefreshAsync(refreshToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return AuthClient.RefreshCookieValue(response)!;
    }

    public Task<HttpResponseMessage> SendWithBearerAsync(HttpMethod method, string path, string accessToken, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", accessToken);
        if (body is not null) request.Content = JsonContent.Create(body);
        return Http.SendAsync(request);
    }
}
