using System.Text;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Abuse;

/// <summary>Helpers shared by the abuse tests: real-socket services, raw requests, JWT forging, a downstream host.</summary>
public static class AbuseKit
{
    /// <summary>
    /// The service on a real Kestrel socket (http://127.0.0.1:port), for what the in-memory server
    /// cannot show: a real remote address, real connections. Returns the started factory and its origin.
    /// </summary>
    public static async Task<(AuthServiceFactory Factory, Uri BaseAddress)> StartOnKestrelAsync(
        IReadOnlyDictionary<string, string?>? settings = null, string? connectionString = null, int port = 0)
    {
        connectionString ??= await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var factory = new AuthServiceFactory(connectionString, settings);
        factory.ListenOnLoopback(port);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Last();
        await factory.StartAsync();
        return (factory, new Uri(address));
    }

    public static HttpRequestMessage Json(HttpMethod method, string path, string json, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        return request;
    }

    public static string Body(object value) => JsonSerializer.Serialize(value);

    /// <summary>A response header (or content header) joined with ", "; empty when absent.</summary>
    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : "";

    /// <summary>
    /// One request over a raw socket: the characters go as Latin-1 bytes (so \0, \u00ff or "\u00ED\u00A0\u0080"
    /// are those raw bytes; a character above U+00FF goes as UTF-8), read until the server closes.
    /// </summary>
    public static async Task<(int Status, string Headers, string Body)> SendRawAsync(Uri baseAddress, string raw)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = tcp.GetStream();
        var bytes = new List<byte>();
        foreach (var ch in raw)
        {
            if (ch <= 0xFF) bytes.Add((byte)ch);
            else bytes.AddRange(Encoding.UTF8.GetBytes(ch.ToString()));
        }
        // Ask for the connection to close after the answer, so reading to the end is reading one answer.
        var text = Encoding.Latin1.GetString(bytes.ToArray());
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd > 0 && !text.StartsWith("FOO", StringComparison.Ordinal)) bytes.InsertRange(headEnd + 2, "Connection: close\r\n"u8.ToArray());
        try
        {
            await stream.WriteAsync(bytes.ToArray());
        }
        catch (IOException)
        {
            // The server may close before reading everything (e.g. an oversized head); read what it said.
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0) received.Write(buffer, 0, n);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // Reset or timeout: judge what arrived.
        }
        // Chunk sizes count bytes: split and de-chunk the bytes (Latin-1 keeps one char per byte), decode UTF-8 last.
        var response = Encoding.Latin1.GetString(received.ToArray());
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) return (0, Utf8(response), "");
        var head = response[..split];
        var body = response[(split + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) body = Dechunk(body);
        var statusLine = head.Split("\r\n")[0].Split(' ');
        return (int.Parse(statusLine[1]), Utf8(head), Utf8(body));
    }

    private static string Utf8(string latin1) => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(latin1));

    /// <summary>The body of a chunked answer, as Latin-1 text of its bytes.</summary>
    private static string Dechunk(string body)
    {
        var result = new StringBuilder();
        var position = 0;
        while (position < body.Length)
        {
            var lineEnd = body.IndexOf("\r\n", position, StringComparison.Ordinal);
            if (lineEnd < 0) break;
            var size = Convert.ToInt32(body[position..lineEnd].Split(';')[0], 16);
            if (size == 0) break;
            result.Append(body, lineEnd + 2, Math.Min(size, body.Length - lineEnd - 2));
            position = lineEnd + 2 + size + 2;
        }
        return result.ToString();
    }

    /// <summary>Seconds of a Retry-After header given as delta-seconds; fails when absent or not a number.</summary>
    public static int RetryAfterSeconds(HttpResponseMessage response)
    {
        Assert.True(response.Headers.RetryAfter is not null, $"Expected a Retry-After header on {(int)response.StatusCode}.");
        var delta = response.Headers.RetryAfter!.Delta;
        Assert.True(delta is not null, $"Retry-After should be delta-seconds, got {response.Headers.RetryAfter}.");
        return (int)delta!.Value.TotalSeconds;
    }
}
