using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Accounts;

/// <summary>Bodies that are not the JSON the endpoint expects: always a problem document, never a 500.</summary>
public sealed class MalformedRequestTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    private Task<HttpResponseMessage> PostRawAsync(string body, string? contentType = "application/json", string path = "/auth/signup")
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        return client.Http.PostAsync(path, content);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"email\": \"a@example.com\", \"password\": ")]
    [InlineData("email=a@example.com&password=x")]
    [InlineData("[1, 2, 3]")]
    [InlineData("\"just a string\"")]
    public async Task Signup_BodyNotJsonObject_IsMalformedRequest(string body)
    {
        await ProblemAssert.IsProblemAsync(await PostRawAsync(body), HttpStatusCode.BadRequest, "malformed_request");
    }

    [Theory]
    [InlineData("{\"email\": 123, \"password\": \"a perfectly fine passphrase 42\"}")]
    [InlineData("{\"email\": \"a@example.com\", \"password\": true}")]
    [InlineData("{\"email\": \"a@example.com\", \"password\": \"a perfectly fine passphrase 42\", \"displayName\": {\"x\": 1}}")]
    [InlineData("{\"email\": [\"a@example.com\"], \"password\": \"a perfectly fine passphrase 42\"}")]
    public async Task Signup_JsonWithWrongTypes_IsMalformedRequest(string body)
    {
        await ProblemAssert.IsProblemAsync(await PostRawAsync(body), HttpStatusCode.BadRequest, "malformed_request");
    }

    [Fact]
    public async Task Signup_DuplicateProperty_IsMalformedRequest()
    {
        var email = AuthClient.NewEmail();
        var body = $"{{\"email\": \"{email}\", \"email\": \"{AuthClient.NewEmail()}\", \"password\": \"{AuthClient.DefaultPassword}\"}}";

        await ProblemAssert.IsProblemAsync(await PostRawAsync(body), HttpStatusCode.BadRequest, "malformed_request");
        Assert.Empty(await client.EmailsAsync(email));
    }

    [Fact]
    public async Task Signup_DeeplyNestedJson_IsMalformedRequest()
    {
        var nested = new string('[', 200) + new string(']', 200);
        var body = $"{{\"email\": \"a@example.com\", \"password\": \"{AuthClient.DefaultPassword}\", \"extra\": {nested}}}";

        await ProblemAssert.IsProblemAsync(await PostRawAsync(body), HttpStatusCode.BadRequest, "malformed_request");
    }

    [Theory]
    [InlineData("password", "a perfectly fine passphrase \\ud800 42")]
    [InlineData("displayName", "Bob \\udc00 by")]
    [InlineData("email", "lone\\ud800@example.com")]
    public async Task Signup_LoneSurrogateEscape_IsA400_NeverA500(string field, string escapedValue)
    {
        // "\ud800" is valid JSON syntax but not a valid Unicode string.
        var fields = new Dictionary<string, string>
        {
            ["email"] = AuthClient.NewEmail(),
            ["password"] = AuthClient.DefaultPassword,
            ["displayName"] = "Bob",
        };
        fields[field] = escapedValue;
        var body = "{" + string.Join(", ", fields.Select(f => $"\"{f.Key}\": \"{f.Value}\"")) + "}";
        Assert.Contains("\\u", body);

        var response = await PostRawAsync(body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"Expected 400, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Matches("\"code\":\"(malformed_request|validation_failed)\"", text);
    }

    [Fact]
    public async Task Signup_EmptyBody_IsMalformedRequest()
    {
        await ProblemAssert.IsProblemAsync(await PostRawAsync(""), HttpStatusCode.BadRequest, "malformed_request");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    public async Task Signup_NonJsonContentType_IsUnsupportedMediaType(string contentType)
    {
        var email = AuthClient.NewEmail();
        var body = $"{{\"email\": \"{email}\", \"password\": \"{AuthClient.DefaultPassword}\"}}";

        await ProblemAssert.IsProblemAsync(await PostRawAsync(body, contentType), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        Assert.Empty(await client.EmailsAsync(email));
    }

    [Theory]
    [InlineData("application/json; charset=utf-7")]   // the runtime has no decoder: used to be a 500
    [InlineData("application/json; charset=UTF-7")]
    [InlineData("application/json; charset=utf-16")]  // the runtime decodes it, the contract still says UTF-8
    [InlineData("application/json; charset=utf-16le")]
    [InlineData("application/json; charset=utf-32")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/json; charset=us-ascii")]
    [InlineData("application/json; charset=\"utf-16\"")]
    [InlineData("application/json; charset=no-such-charset")]
    [InlineData("application/json; charset=\"\"")]
    public async Task Signup_CharsetOtherThanUtf8_IsUnsupportedMediaType(string contentType)
    {
        var email = AuthClient.NewEmail();
        var body = $"{{\"email\": \"{email}\", \"password\": \"{AuthClient.DefaultPassword}\"}}";

        await ProblemAssert.IsProblemAsync(await PostRawAsync(body, contentType), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        Assert.Empty(await client.EmailsAsync(email));
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json; charset=utf8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json;charset=Utf-8")]
    public async Task Signup_Utf8CharsetInAnySpelling_IsAccepted(string contentType)
    {
        var body = $"{{\"email\": \"{AuthClient.NewEmail()}\", \"password\": \"{AuthClient.DefaultPassword}\"}}";

        Assert.Equal(HttpStatusCode.Accepted, (await PostRawAsync(body, contentType)).StatusCode);
    }

    [Fact]
    public async Task Signup_BodyOver16KiB_IsPayloadTooLarge()
    {
        var email = AuthClient.NewEmail();
        var body = $"{{\"email\": \"{email}\", \"password\": \"{AuthClient.DefaultPassword}\", \"displayName\": \"{new string('n', 16 * 1024)}\"}}";
        Assert.True(Encoding.UTF8.GetByteCount(body) > 16 * 1024);

        await ProblemAssert.IsProblemAsync(await PostRawAsync(body), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Empty(await client.EmailsAsync(email));
    }

    [Fact]
    public async Task Signup_BodyJustUnder16KiB_IsReadAndValidated()
    {
        // Padding by whitespace keeps the JSON valid; the limit is on the body, not on the content.
        var email = AuthClient.NewEmail();
        var json = $"{{\"email\": \"{email}\", \"password\": \"{AuthClient.DefaultPassword}\"}}";
        var body = json + new string(' ', 16 * 1024 - Encoding.UTF8.GetByteCount(json));
        Assert.Equal(16 * 1024, Encoding.UTF8.GetByteCount(body));

        Assert.Equal(HttpStatusCode.Accepted, (await PostRawAsync(body)).StatusCode);
    }

    [Theory]
    [InlineData("/auth/verify-email")]
    [InlineData("/auth/resend-verification")]
    [InlineData("/auth/signin")]
    public async Task OtherJsonEndpoints_NotJson_IsMalformedRequest(string path)
    {
        await ProblemAssert.IsProblemAsync(await PostRawAsync("{nope", path: path), HttpStatusCode.BadRequest, "malformed_request");
        await ProblemAssert.IsProblemAsync(await PostRawAsync("{\"token\": 1, \"email\": 2}", path: path), HttpStatusCode.BadRequest, "malformed_request");
        await ProblemAssert.IsProblemAsync(await PostRawAsync("{}", "text/plain", path), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task AfterMalformedRequests_ANormalSignupStillWorks()
    {
        var logsBefore = fixture.Factory.Logs.Lines.Count; // startup may log; only this test's requests count
        foreach (var bad in new[] { "{not json", "{\"email\": 123}", "" })
            Assert.NotEqual(HttpStatusCode.InternalServerError, (await PostRawAsync(bad)).StatusCode);
        Assert.NotEqual(HttpStatusCode.InternalServerError, (await PostRawAsync("{}", "text/plain")).StatusCode);
        Assert.NotEqual(HttpStatusCode.InternalServerError, (await PostRawAsync(new string('x', 17 * 1024))).StatusCode);

        var email = AuthClient.NewEmail();
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);
        Assert.Single(TestJson.VerifyTokens(await client.EmailsAsync(email)));
        Assert.DoesNotContain(fixture.Factory.Logs.Lines.Skip(logsBefore), line => line.StartsWith("Error ", StringComparison.Ordinal) || line.StartsWith("Critical ", StringComparison.Ordinal));
    }
}

/// <summary>
/// The 16 KiB limit when the client does not declare a length (chunked upload): only the real server
/// enforces it, so this runs the service on Kestrel instead of the in-memory test server.
/// </summary>
public sealed class ChunkedBodyLimitTests : IAsyncLifetime
{
    private AuthServiceFactory factory = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.GetAsync();
        factory = new AuthServiceFactory(await server.CreateDatabaseAsync());
        factory.ListenOnLoopback();
        await factory.StartAsync();
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    private sealed class ChunkedJsonContent(string json) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            for (var i = 0; i < bytes.Length; i += 1024)
                await stream.WriteAsync(bytes.AsMemory(i, Math.Min(1024, bytes.Length - i)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false; // forces Transfer-Encoding: chunked
        }
    }

    /// <summary>
    /// A plain client on Kestrel's port: the factory's clients buffer request bodies (to replay them on
    /// redirects), which would turn a chunked upload back into one with Content-Length.
    /// </summary>
    private HttpClient NewHttp()
    {
        using var factoryClient = factory.CreateClient();
        return new HttpClient { BaseAddress = factoryClient.BaseAddress };
    }

    private static async Task<System.Text.Json.JsonElement[]> EmailsAsync(HttpClient http, string to) =>
        (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement[]>(http, $"/dev/emails?to={Uri.EscapeDataString(to)}"))!;

    private static HttpContent Chunked(string json)
    {
        var content = new ChunkedJsonContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    [Fact]
    public async Task Signup_ChunkedBodyOver16KiB_IsPayloadTooLarge()
    {
        using var http = NewHttp();
        var email = AuthClient.NewEmail();
        var json = $"{{\"email\": \"{email}\", \"password\": \"{AuthClient.DefaultPassword}\", \"displayName\": \"{new string('n', 20 * 1024)}\"}}";

        var response = await http.PostAsync("/auth/signup", Chunked(json));

        Assert.Null(response.RequestMessage!.Content!.Headers.ContentLength);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Empty(await EmailsAsync(http, email));
    }

    [Fact]
    public async Task Signup_SmallChunkedBody_Works()
    {
        using var http = NewHttp();
        var email = AuthClient.NewEmail();
        var json = $"{{\"email\": \"{email}\", \"password\": \"{AuthClient.DefaultPassword}\"}}";

        var response = await http.PostAsync("/auth/signup", Chunked(json));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await new AuthClient(factory).WaitForRenderedAsync(email);
        Assert.Single(TestJson.VerifyTokens(await EmailsAsync(http, email)));
    }
}
