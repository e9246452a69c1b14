using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// A separate resource server that knows only the issuer URL and its audience: JwtBearer reads the
/// discovery document and the JWKS from the auth service (through the test server's handler) and
/// validates access tokens offline, as other teams' services do. Runs on real time unless
/// <c>configure</c> says otherwise.
/// </summary>
public sealed class DownstreamApi : IAsyncDisposable
{
    private readonly WebApplication app;

    private DownstreamApi(WebApplication app)
    {
        this.app = app;
        Http = app.GetTestClient();
    }

    public HttpClient Http { get; }

    /// <param name="backchannel">Wraps the auth service's handler, e.g. to count metadata fetches; defaults to it.</param>
    public static async Task<DownstreamApi> StartAsync(AuthServiceFactory auth, string audience = "api",
        HttpMessageHandler? backchannel = null, Action<JwtBearerOptions>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Downstream" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.Authority = AuthServiceFactory.Issuer;
            o.Audience = audience;
            o.BackchannelHttpHandler = backchannel ?? auth.Server.CreateHandler();
            o.MapInboundClaims = false;
            configure?.Invoke(o);
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", (ClaimsPrincipal user) => user.FindFirst("sub")?.Value ?? "").RequireAuthorization();
        await app.StartAsync();
        return new DownstreamApi(app);
    }

    /// <summary>GET /whoami with the token as sent, unvalidated by the client (forged tokens included).</summary>
    public Task<HttpResponseMessage> WhoAmIAsync(string accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + accessToken);
        return Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.DisposeAsync();
    }
}
