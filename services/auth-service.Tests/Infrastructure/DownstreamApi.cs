using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// A separate resource server that knows only the issuer URL and its audience: JwtBearer reads the
/// discovery document and the JWKS from the auth service (through the test server's handler, or over
/// the network from a container) and validates access tokens offline, as other teams' services do.
/// Its options are exactly the README's "Validating tokens in a downstream service" snippet (keep the
/// two in step), plus the test's backchannel. Runs on real time unless <c>configure</c> says otherwise.
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
    public static Task<DownstreamApi> StartAsync(AuthServiceFactory auth, string audience = "api",
        HttpMessageHandler? backchannel = null, Action<JwtBearerOptions>? configure = null) =>
        StartAsync(AuthServiceFactory.Issuer, audience, backchannel ?? auth.Server.CreateHandler(), configure);

    /// <summary>
    /// Against an auth service reached over the network (the container tests): <paramref name="issuer"/>
    /// is its <c>Auth:Issuer</c>, and plain http is allowed for the metadata when the issuer is http.
    /// </summary>
    public static Task<DownstreamApi> StartAsync(Uri issuer, HttpMessageHandler backchannel, string audience = "api") =>
        StartAsync(issuer.GetLeftPart(UriPartial.Authority), audience, backchannel,
            o => o.RequireHttpsMetadata = issuer.Scheme == Uri.UriSchemeHttps);

    private static async Task<DownstreamApi> StartAsync(string authority, string audience,
        HttpMessageHandler backchannel, Action<JwtBearerOptions>? configure)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Downstream" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            // README snippet, verbatim but for the two values:
            o.Authority = authority;
            o.Audience = audience;
            o.MapInboundClaims = false;
            o.TokenValidationParameters.ValidTypes = ["at+jwt"];
            o.TokenValidationParameters.ValidAlgorithms = ["ES256"];
            o.TokenValidationParameters.RoleClaimType = "roles";
            o.TokenValidationParameters.NameClaimType = "sub";
            o.Events = new JwtBearerEvents
            {
                // RFC 7515 §4.1.11: refuse a token whose header marks extensions critical (none are understood here).
                OnTokenValidated = context =>
                {
                    if (context.SecurityToken is not JsonWebToken jwt || jwt.TryGetHeaderValue<object>("crit", out _))
                        context.Fail("Unsupported critical header extensions.");
                    return Task.CompletedTask;
                },
            };
            // End of the README snippet.
            o.BackchannelHttpHandler = backchannel;
            configure?.Invoke(o);
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", (ClaimsPrincipal user) => user.FindFirst("sub")?.Value ?? "").RequireAuthorization();
        app.MapGet("/admin-only", (ClaimsPrincipal user) => user.Identity?.Name ?? "").RequireAuthorization(p => p.RequireRole("admin"));
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

    /// <summary>GET /admin-only: <c>RequireRole("admin")</c> over the token's <c>roles</c>; answers the caller's <c>Identity.Name</c>.</summary>
    public Task<HttpResponseMessage> AdminOnlyAsync(string accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/admin-only");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + accessToken);
        return Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.DisposeAsync();
    }
}
