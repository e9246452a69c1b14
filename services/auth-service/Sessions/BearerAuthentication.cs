using AuthService.Http;
using AuthService.Options;
using AuthService.Shared;
using AuthService.Tokens;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthService.Sessions;

/// <summary>
/// Validates our own access tokens with the standard JwtBearer handler against the in-memory key
/// ring, then checks that the token's session is still live and keeps its user for the endpoint: from this
/// replica's <see cref="SessionCache"/> when it holds the session, otherwise in one query (a revocation shows
/// here at once when made here, within the NOTIFY's delivery when made elsewhere).
/// </summary>
public static class BearerAuthentication
{
    private const string DatabaseDownItem = "auth.database-down";

    public static IServiceCollection AddBearerAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, SigningKeyRing, TimeProvider>((o, auth, ring, clock) =>
            {
                o.MapInboundClaims = false;
                o.RequireHttpsMetadata = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Value.Issuer,
                    ValidAudience = auth.Value.Audience,
                    ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                    ValidTypes = ["at+jwt"],
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    IssuerSigningKeyResolver = (_, _, kid, _) =>
                        kid is not null && ring.Current.ValidationKeys.TryGetValue(kid, out var key) ? [key] : [],
                    // Lifetimes against the injected clock, so tests can move time.
                    LifetimeValidator = (notBefore, expires, _, p) =>
                    {
                        var now = clock.GetUtcNow().UtcDateTime;
                        return expires is { } exp && exp + p.ClockSkew > now && (notBefore is not { } nbf || nbf - p.ClockSkew <= now);
                    },
                    NameClaimType = "sub",
                };
                o.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context => HasCriticalExtensions(context) ? Task.CompletedTask : CheckSessionAsync(context),
                    OnChallenge = WriteChallengeAsync,
                };
            });
        services.AddAuthorization();
        return services;
    }

    /// <summary>
    /// RFC 7515 §4.1.11: a JOSE header's <c>crit</c> names extensions the recipient must understand or
    /// refuse the token; we understand none (and an empty list is malformed), so any <c>crit</c> fails.
    /// The handler itself ignores the member. The README's downstream snippet does the same.
    /// </summary>
    private static bool HasCriticalExtensions(TokenValidatedContext context)
    {
        if (context.SecurityToken is JsonWebToken jwt && !jwt.TryGetHeaderValue<object>("crit", out _)) return false;
        context.Fail("Token header has crit extensions this service does not understand.");
        return true;
    }

    private static async Task CheckSessionAsync(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        if (!Guid.TryParse(principal.FindFirst("sid")?.Value, out var sid) || !Guid.TryParse(principal.FindFirst("sub")?.Value, out var sub))
        {
            context.Fail("Token lacks sid or sub.");
            return;
        }
        var services = context.HttpContext.RequestServices;
        var cache = services.GetRequiredService<SessionCache>();
        if (cache.TryGet(sid, sub, services.GetRequiredService<TimeProvider>().GetUtcNow(), out var session) != SessionCacheLookup.Hit)
        {
            var ticket = cache.BeginFill(); // before the read: see SessionCache.Fill
            try
            {
                session = await services.GetRequiredService<SessionStore>().FindLiveSessionAsync(sid, sub, context.HttpContext.RequestAborted);
            }
            catch (Exception e) when (ApiExceptionHandler.DatabaseUnavailable(e))
            {
                // Not the token's fault: the challenge answers 503 instead of 401 (and JwtBearer
                // does not log a stack trace per request for a known outage).
                context.HttpContext.Items[DatabaseDownItem] = true;
                context.NoResult();
                return;
            }
            if (ticket is { } observed) cache.Fill(observed, sid, session);
        }
        if (session is null)
        {
            context.Fail("Session is revoked or expired.");
            return;
        }
        context.HttpContext.SetAuthenticatedUser(new AuthenticatedUser(session.User, sid));
    }

    private static async Task WriteChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        if (http.Items.ContainsKey(DatabaseDownItem))
        {
            http.Response.Headers.RetryAfter = "5";
            await Problems.WriteAsync(http, 503, ErrorCodes.ServiceUnavailable, "The service is temporarily unavailable");
            return;
        }
        var tokenSent = http.Request.Headers.Authorization.Count > 0;
        http.Response.Headers.WWWAuthenticate = tokenSent ? "Bearer error=\"invalid_token\"" : "Bearer";
        await Problems.WriteAsync(http, 401, ErrorCodes.Unauthorized, "A valid access token is required");
    }
}
