using System.Net;
using System.Text;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Http;

/// <summary>The contract's error table for requests that go wrong before any business logic.</summary>
public sealed class ErrorContractTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const int MaxBody = 16 * 1024;

    private HttpClient Http => fixture.NewClient().Http;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private Task<HttpResponseMessage> PostSigninAsync(HttpContent content) => Http.PostAsync("/auth/signin", content);

    [Theory]
    [InlineData("GET", "/no-such-route")]
    [InlineData("POST", "/auth/no-such-endpoint")]
    [InlineData("GET", "/.well-known/no-such-document")]
    public async Task UnknownRoute_Returns404NotFoundProblem(string method, string path)
    {
        var response = await Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task WrongMethod_Returns405ProblemWithAllow()
    {
        var response = await Http.GetAsync("/auth/signin");

        await ContractAssert.IsProblemWithAnyCodeAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task WrongMethodOnJwks_Returns405Problem()
    {
        var response = await Http.DeleteAsync("/.well-known/jwks.json");

        await ContractAssert.IsProblemWithAnyCodeAsync(response, HttpStatusCode.MethodNotAllowed);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("{\"email\": \"a@example.com\", \"password\": ")]
    [InlineData("{\"email\": 'single-quoted@example.com'}")]
    public async Task BodyNotJson_Returns400MalformedRequest(string body)
    {
        var response = await PostSigninAsync(Json(body));

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.BadRequest, "malformed_request");
    }

    [Fact]
    public async Task BodyWithWrongTypes_Returns400MalformedRequest()
    {
        var response = await PostSigninAsync(Json("{\"email\": 5, \"password\": true}"));

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.BadRequest, "malformed_request");
    }

    [Fact]
    public async Task MissingBody_Returns400MalformedRequest()
    {
        var response = await PostSigninAsync(Json(""));

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.BadRequest, "malformed_request");
    }

    [Fact]
    public async Task MalformedBody_DoesNotEchoThePassword()
    {
        const string password = "echo-canary-passphrase-7c1f";
        var response = await PostSigninAsync(Json($"{{\"email\": \"a@example.com\", \"password\": \"{password}\", }}"));

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.BadRequest, "malformed_request");
        Assert.DoesNotContain(password, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TextPlainBody_Returns415UnsupportedMediaType()
    {
        var content = new StringContent("{\"email\": \"a@example.com\", \"password\": \"x\"}", Encoding.UTF8, "text/plain");

        var response = await PostSigninAsync(content);

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task BodyOver16KiB_WithContentLength_Returns413PayloadTooLarge()
    {
        var content = Json(SigninJsonOfSize(MaxBody + 1));
        Assert.Equal(MaxBody + 1, content.Headers.ContentLength);

        var response = await PostSigninAsync(content);

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task BodyOfExactly16KiB_IsNotRefusedAsTooLarge()
    {
        var content = Json(SigninJsonOfSize(MaxBody));
        Assert.Equal(MaxBody, content.Headers.ContentLength);

        var response = await PostSigninAsync(content);

        Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.True((int)response.StatusCode < 500, $"Got {(int)response.StatusCode}");
    }

    // Chunked bodies over 16 KiB are refused by Kestrel's limit; the in-memory test server has no
    // such limit, so that case is tested over real HTTP in OverTheWireTests.

    [Theory]
    [InlineData("email")]        // nested where a string is expected
    [InlineData("unknownMember")] // nested in a member the model ignores
    public async Task DeeplyNestedJson_Returns400NotServerError(string member)
    {
        var nested = new string('[', 200) + new string(']', 200);

        var response = await PostSigninAsync(Json($"{{\"{member}\": {nested}, \"password\": \"x\"}}"));

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.BadRequest, "malformed_request");
    }

    [Theory]
    [InlineData("{\"email\": \"a@example.com\", \"email\": \"b@example.com\", \"password\": \"x\"}")]
    [InlineData("{\"email\": \"a@example.com\", \"Email\": \"b@example.com\", \"password\": \"x\"}")]
    [InlineData("{\"email\": \"a@example.com\", \"password\": \"x\", \"password\": \"y\"}")]
    public async Task DuplicateJsonKeys_Returns400MalformedRequest(string body)
    {
        var response = await PostSigninAsync(Json(body));

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.BadRequest, "malformed_request");
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/.well-known/jwks.json")]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/no-such-route")]
    [InlineData("/auth/me")]
    public async Task Responses_CarrySecurityHeaders(string path)
    {
        var response = await Http.GetAsync(path);

        ContractAssert.HasSecurityHeaders(response);
    }

    [Fact]
    public async Task Unauthorized_IsAContractProblem()
    {
        var response = await Http.GetAsync("/auth/me");

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    /// <summary>A signin body of exactly <paramref name="size"/> UTF-8 bytes.</summary>
    private static string SigninJsonOfSize(int size)
    {
        const string prefix = "{\"email\": \"nobody@example.com\", \"password\": \"";
        const string suffix = "\"}";
        var json = prefix + new string('p', size - prefix.Length - suffix.Length) + suffix;
        Assert.Equal(size, Encoding.UTF8.GetByteCount(json));
        return json;
    }
}
