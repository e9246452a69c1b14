using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        factory.UseKestrel(port);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Last();
        await factory.StartAsync();
        return (factory, new Uri(address));
    }

    /// <summary>
    /// Signs up and verifies a user through <paramref name="http"/> (any base address, e.g. a Kestrel
    /// socket; <see cref="AuthClient"/> always talks to the factory's default address).
    /// </summary>
    public static async Task<string> CreateVerifiedUserAsync(HttpClient http, string? email = null, string password = AuthClient.DefaultPassword)
    {
        email ??= AuthClient.NewEmail();
        var signup = await http.SendAsync(Json(HttpMethod.Post, "/auth/signup", Body(new { email, password })));
        Assert.Equal(HttpStatusCode.Accepted, signup.StatusCode);
        // The link is minted when the outbox dispatcher renders the mail, a moment after the signup.
        string? token = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); token is null; await Task.Delay(25))
        {
            var emails = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<JsonElement[]>(http, $"/dev/emails?to={Uri.EscapeDataString(email)}");
            token = emails!.Select(e => System.Text.RegularExpressions.Regex.Match(e.GetProperty("text").GetString()!, @"/verify-email\?token=([A-Za-z0-9_\-]+)"))
                .FirstOrDefault(m => m.Success)?.Groups[1].Value;
            if (token is null && DateTime.UtcNow > deadline) throw new TimeoutException($"No verification mail for {email}.");
        }
        var verify = await http.SendAsync(Json(HttpMethod.Post, "/auth/verify-email", Body(new { token })));
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        return email;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
        var response = Encoding.UTF8.GetString(received.ToArray());
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) return (0, response, "");
        var head = response[..split];
        var body = response[(split + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) body = Dechunk(body);
        var statusLine = head.Split("\r\n")[0].Split(' ');
        return (int.Parse(statusLine[1]), head, body);
    }

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

/// <summary>Builds JWTs by hand: any header, any payload, any signature.</summary>
public static class Jwt
{
    public static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);

    public static string B64(string text) => B64(Encoding.UTF8.GetBytes(text));

    public static byte[] Unb64(string segment) => Base64Url.DecodeFromChars(segment);

    public static JsonObject Header(string token) => JsonNode.Parse(Encoding.UTF8.GetString(Unb64(token.Split('.')[0])))!.AsObject();

    public static JsonObject Payload(string token) => JsonNode.Parse(Encoding.UTF8.GetString(Unb64(token.Split('.')[1])))!.AsObject();

    /// <summary>header.payload.signature where the signature is whatever <paramref name="sign"/> makes of the signing input.</summary>
    public static string Make(JsonObject header, JsonObject payload, Func<byte[], byte[]> sign)
    {
        var input = B64(header.ToJsonString()) + "." + B64(payload.ToJsonString());
        return input + "." + B64(sign(Encoding.ASCII.GetBytes(input)));
    }

    public static Func<byte[], byte[]> Es256(ECDsa key) => input => key.SignData(input, HashAlgorithmName.SHA256);

    public static Func<byte[], byte[]> Hs256(byte[] secret) => input => HMACSHA256.HashData(secret, input);

    public static readonly Func<byte[], byte[]> NoSignature = _ => [];

    public static long Unix(DateTimeOffset at) => at.ToUnixTimeSeconds();

    /// <summary>A payload with every claim the contract lists, for <paramref name="sub"/>/<paramref name="sid"/>, valid at <paramref name="now"/>.</summary>
    public static JsonObject Claims(string sub, string sid, string email, DateTimeOffset now, string iss = AuthServiceFactory.Issuer, string aud = "api") => new()
    {
        ["iss"] = iss,
        ["aud"] = aud,
        ["sub"] = sub,
        ["sid"] = sid,
        ["jti"] = Guid.NewGuid().ToString("N"),
        ["iat"] = Unix(now),
        ["nbf"] = Unix(now),
        ["exp"] = Unix(now.AddMinutes(15)),
        ["email"] = email,
        ["email_verified"] = true,
    };

    public static JsonObject Es256Header(string? kid, string typ = "at+jwt")
    {
        var header = new JsonObject { ["alg"] = "ES256", ["typ"] = typ };
        if (kid is not null) header["kid"] = kid;
        return header;
    }
}

