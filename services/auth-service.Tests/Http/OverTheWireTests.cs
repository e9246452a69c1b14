using System.Net;
using System.Text;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Http;

/// <summary>The service on real Kestrel over a loopback socket, for what the in-memory test server does not model.</summary>
public sealed class KestrelServiceFixture : IAsyncLifetime
{
    public AuthServiceFactory Factory { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.GetAsync();
        Factory = new AuthServiceFactory(await server.CreateDatabaseAsync());
        Factory.ListenOnLoopback();
        await Factory.StartAsync();
        Http = Factory.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
    }
}

public sealed class OverTheWireTests(KestrelServiceFixture fixture) : IClassFixture<KestrelServiceFixture>
{
    [Fact]
    public async Task Fixture_ReallyTalksHttpOverASocket()
    {
        Assert.Equal("127.0.0.1", fixture.Http.BaseAddress?.Host);
        Assert.NotEqual(80, fixture.Http.BaseAddress?.Port);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task ChunkedBodyOver16KiB_Returns413PayloadTooLarge()
    {
        var json = "{\"email\": \"nobody@example.com\", \"password\": \"" + new string('p', 20_000) + "\"}";
        var request = new HttpRequestMessage(HttpMethod.Post, "/auth/signin") { Content = new ChunkedJson(json) };
        request.Headers.TransferEncodingChunked = true;

        var response = await fixture.Http.SendAsync(request);

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task ChunkedBodyUnder16KiB_IsAccepted()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/auth/signin")
        {
            Content = new ChunkedJson("{\"email\": \"nobody@example.com\", \"password\": \"a perfectly fine passphrase 42\"}"),
        };
        request.Headers.TransferEncodingChunked = true;

        var response = await fixture.Http.SendAsync(request);

        // Read and judged on its merits: an unknown account.
        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Jwks_IfNoneMatchListContainingItsETag_Returns304()
    {
        // RFC 9110 §13.1.2: If-None-Match is a list; a cache holding several versions sends them
        // on one header line. Any match means 304.
        var first = await fixture.Http.GetAsync("/.well-known/jwks.json");
        Assert.NotNull(first.Headers.ETag);
        var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json");
        Assert.True(request.Headers.TryAddWithoutValidation("If-None-Match", $"\"older-version\", {first.Headers.ETag}"));

        var response = await fixture.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task Jwks_IfNoneMatchWithItsETag_Returns304()
    {
        var first = await fixture.Http.GetAsync("/.well-known/jwks.json");
        var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        var response = await fixture.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    /// <summary>JSON content of unknown length, so HttpClient sends it chunked.</summary>
    private sealed class ChunkedJson : HttpContent
    {
        private readonly byte[] bytes;

        public ChunkedJson(string json)
        {
            bytes = Encoding.UTF8.GetBytes(json);
            Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // Several writes, so the body really arrives as several chunks.
            for (var offset = 0; offset < bytes.Length; offset += 4096)
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(4096, bytes.Length - offset)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
