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
/// ring (once per token and replica: <see cref="ValidatedTokenCache"/>), then checks that the token's session
/// is still live and keeps its user for the endpoint: from this replica's <see cref="SessionCache"/> when it
/// holds the session, otherwise in one query (a revocation shows here at once when made here, within the
/// NOTIFY's delivery when made elsewhere).
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
                    ClockSkew = ValidatedTokenCache.ClockSkew,
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
                    OnMessageReceived = ReuseValidatedTokenAsync,
                    OnTokenValidated = ValidatedAsync,
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

    /// <summary>A token this replica validated before (<see cref="ValidatedTokenCache"/>) skips the handler's validation; the session is checked still.</summary>
    private static async Task ReuseValidatedTokenAsync(MessageReceivedContext context)
    {
        // The handler's own reading of the header: "Bearer " in any case, then the rest trimmed.
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return;
        var token = authorization["Bearer ".Length..].Trim();
        if (token.Length == 0 || context.HttpContext.RequestServices.GetRequiredService<ValidatedTokenCache>().Find(token) is not { } principal) return;
        var failure = await CheckSessionAsync(context.HttpContext, principal);
        if (failure is null)
        {
            context.Principal = principal;
            context.Success();
        }
        else if (failure.Length == 0) context.NoResult();
        else context.Fail(failure);
    }

    private static async Task ValidatedAsync(TokenValidatedContext context)
    {
        if (HasCriticalExtensions(context)) return;
        var failure = await CheckSessionAsync(context.HttpContext, context.Principal!);
        if (failure is null)
        {
            var jwt = (JsonWebToken)context.SecurityToken;
            context.HttpContext.RequestServices.GetRequiredService<ValidatedTokenCache>().Remember(jwt.EncodedToken, context.Principal!, jwt.ValidFrom, jwt.ValidTo);
        }
        else if (failure.Length == 0) context.NoResult();
        else context.Fail(failure);
    }

    /// <summary>Null when the token's session is live (the caller is then attached to the request); "" when the database is down; else why not.</summary>
    private static async Task<string?> CheckSessionAsync(HttpContext http, System.Security.Claims.ClaimsPrincipal principal)
    {
        if (!Guid.TryParse(principal.FindFirst("sid")?.Value, out var sid) || !Guid.TryParse(principal.FindFirst("sub")?.Value, out var sub))
            return "Token lacks sid or sub.";
        var services = http.RequestServices;
        var cache = services.GetRequiredService<SessionCache>();
        if (cache.TryGet(sid, sub, services.GetRequiredService<TimeProvider>().GetUtcNow(), out var session) != SessionCacheLookup.Hit)
        {
            var ticket = cache.BeginFill(); // before the read: see SessionCache.Fill
            try
            {
                session = await services.GetRequiredService<SessionStore>().FindLiveSessionAsync(sid, sub, http.RequestAborted);
            }
            catch (Exception e) when (ApiExceptionHandler.DatabaseUnavailable(e))
            {
                // Not the token's fault: the challenge answers 503 instead of 401 (and JwtBearer
                // does not log a stack trace per request for a known outage).
                http.Items[DatabaseDownItem] = true;
                return "";
            }
            if (ticket is { } observed) cache.Fill(observed, sid, session);
        }
        if (session is null) return "Session is revoked or expired.";
        http.SetAuthenticatedUser(new AuthenticatedUser(session.User, sid));
        return null;
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
