using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Testcontainers.PostgreSql;

namespace AuthService.Testing;

/// <summary>A running auth-service (see <see cref="AuthServiceBuilder" />), with helpers for tests that need its users and tokens.</summary>
public sealed partial class AuthServiceContainer : DockerContainer
{
    // Mails are rendered by the service's outbox dispatcher a moment after the 202 of a signup.
    private static readonly TimeSpan MailWait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MailPoll = TimeSpan.FromMilliseconds(100);

    private readonly AuthServiceConfiguration configuration;
    private readonly PostgreSqlContainer? ownDatabase;
    private readonly INetwork? ownNetwork;

    /// <summary>Initializes a new instance of the <see cref="AuthServiceContainer" /> class.</summary>
    /// <param name="configuration">The container configuration.</param>
    public AuthServiceContainer(AuthServiceConfiguration configuration)
        : this(configuration, null, null)
    {
    }

    /// <param name="configuration">The container configuration.</param>
    /// <param name="ownDatabase">The PostgreSQL container the builder created: disposed with this one.</param>
    /// <param name="ownNetwork">The network the builder created: deleted with this container.</param>
    internal AuthServiceContainer(AuthServiceConfiguration configuration, PostgreSqlContainer? ownDatabase, INetwork? ownNetwork)
        : base(configuration)
    {
        this.configuration = configuration;
        this.ownDatabase = ownDatabase;
        this.ownNetwork = ownNetwork;
    }

    /// <summary>Gets the address the test process reaches the service at, e.g. <c>http://127.0.0.1:32768/</c>.</summary>
    /// <returns>The service's base address on the Docker host.</returns>
    public Uri GetBaseAddress() =>
        new UriBuilder(Uri.UriSchemeHttp, Hostname, GetMappedPublicPort(AuthServiceBuilder.AuthServicePort)).Uri;

    /// <summary>
    /// Gets the service's issuer: the <c>iss</c> of its tokens and of its discovery document, which is its base address
    /// without the trailing slash (e.g. <c>http://127.0.0.1:32768</c>).
    /// </summary>
    /// <returns>The issuer, exactly as the tokens carry it.</returns>
    public string GetIssuer() => GetBaseAddress().GetLeftPart(UriPartial.Authority);

    /// <summary>Gets the audience the service puts into its access tokens (<c>aud</c>).</summary>
    /// <returns>The audience.</returns>
    public string GetAudience() => configuration.Audience ?? AuthServiceBuilder.DefaultAudience;

    /// <summary>
    /// Signs a user up and verifies its email through the dev mailbox: <c>POST /auth/signup</c>, the
    /// <c>verify-email?token=</c> link from <c>GET /dev/emails</c>, then <c>POST /auth/verify-email</c>.
    /// </summary>
    /// <param name="email">The address; a fresh <c>user-…@example.com</c> when omitted. It must not belong to a verified user yet.</param>
    /// <param name="password">The password; a random one that passes the service's policy when omitted.</param>
    /// <param name="ct">Cancels the requests and the wait for the mail.</param>
    /// <returns>The verified user, with its id and password.</returns>
    /// <exception cref="HttpRequestException">The service refused a step (e.g. a password its policy rejects); the message carries its problem document.</exception>
    /// <exception cref="TimeoutException">No verification mail arrived, as for an address that already has a verified account.</exception>
    public async Task<AuthServiceUser> CreateVerifiedUserAsync(string? email = null, string? password = null, CancellationToken ct = default)
    {
        email ??= $"user-{Guid.NewGuid():N}@example.com";
        password ??= "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        using var http = CreateClient();

        // Mails already in the box (an earlier signup of the same address) hold links this signup voids.
        var seen = (await ReadMailboxAsync(http, email, ct).ConfigureAwait(false)).Select(mail => mail.Id).ToHashSet();
        using (var signup = await http.PostAsJsonAsync("/auth/signup", new { email, password }, ct).ConfigureAwait(false))
            await EnsureSuccessAsync(signup, "POST /auth/signup", ct).ConfigureAwait(false);

        var token = await WaitForVerifyTokenAsync(http, email, seen, ct).ConfigureAwait(false);
        // The password is needed when the address saw more than one signup, and ignored otherwise.
        using var verify = await http.PostAsJsonAsync("/auth/verify-email", new { token, password }, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(verify, "POST /auth/verify-email", ct).ConfigureAwait(false);
        var user = await verify.Content.ReadFromJsonAsync<JsonElement>(ct).ConfigureAwait(false);
        return new AuthServiceUser(user.GetProperty("id").GetGuid(), user.GetProperty("email").GetString()!, password);
    }

    /// <summary>Signs in with <c>POST /auth/signin</c>.</summary>
    /// <param name="email">The user's email.</param>
    /// <param name="password">The user's password.</param>
    /// <param name="ct">Cancels the request.</param>
    /// <returns>The access token and the refresh cookie.</returns>
    /// <exception cref="HttpRequestException">The service refused the signin (e.g. 401 <c>invalid_credentials</c>); the message carries its problem document.</exception>
    /// <exception cref="NotSupportedException">The user has a second factor, which this helper does not answer.</exception>
    public async Task<AuthServiceSignIn> SignInAsync(string email, string password, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(password);
        var cookies = new CookieContainer();
        using var http = CreateClient(cookies);
        using var response = await http.PostAsJsonAsync("/auth/signin", new { email, password }, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "POST /auth/signin", ct).ConfigureAwait(false);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct).ConfigureAwait(false);
        if (!body.TryGetProperty("accessToken", out var accessToken))
            throw new NotSupportedException("The signin asks for a second factor; SignInAsync signs in users without one.");
        var refreshCookie = cookies.GetAllCookies().FirstOrDefault(c => c.Name is "refresh_token" or "__Secure-refresh_token")
            ?? throw new InvalidOperationException("POST /auth/signin answered without a refresh cookie.");
        return new AuthServiceSignIn(accessToken.GetString()!, refreshCookie);
    }

    /// <summary>
    /// Configures a JwtBearer handler to accept this service's access tokens, as a downstream service does (the README's
    /// settings): metadata and keys from this container over http, its issuer and audience, <c>at+jwt</c> and ES256 only,
    /// claims kept as issued (<c>sub</c> is the name, <c>roles</c> the roles), and tokens marked <c>crit</c> refused.
    /// Use it as <c>AddJwtBearer(authService.ConfigureJwtBearer)</c>; it reads the mapped port, so the options must be
    /// built after the container has started (JwtBearer builds them at the first request).
    /// </summary>
    /// <param name="options">The options to configure.</param>
    public void ConfigureJwtBearer(JwtBearerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var issuer = GetIssuer();
        options.Authority = issuer;
        options.MetadataAddress = issuer + "/.well-known/openid-configuration";
        options.RequireHttpsMetadata = false; // the container serves plain http
        options.Audience = GetAudience();
        options.MapInboundClaims = false;
        var validation = options.TokenValidationParameters;
        validation.ValidIssuer = issuer;
        validation.ValidAudience = GetAudience();
        validation.ValidTypes = ["at+jwt"];
        validation.ValidAlgorithms = ["ES256"];
        validation.NameClaimType = "sub";
        validation.RoleClaimType = "roles";
        var next = options.Events.OnTokenValidated;
        options.Events.OnTokenValidated = context =>
        {
            // RFC 7515 §4.1.11: refuse a token whose header marks extensions critical (none are understood here).
            if (context.SecurityToken is not JsonWebToken jwt || jwt.TryGetHeaderValue<object>("crit", out _))
            {
                context.Fail("Unsupported critical header extensions.");
                return Task.CompletedTask;
            }
            return next(context);
        };
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore().ConfigureAwait(false);
        // The network goes last: Docker refuses to delete one that still has containers.
        if (ownDatabase is not null) await ownDatabase.DisposeAsync().ConfigureAwait(false);
        if (ownNetwork is not null) await ownNetwork.DisposeAsync().ConfigureAwait(false);
    }

    private HttpClient CreateClient(CookieContainer? cookies = null)
    {
        // One handler per client: the clients are short-lived and only cookies differ.
#pragma warning disable CA2000 // HttpClient disposes the handler (disposeHandler: true).
        var handler = new HttpClientHandler { UseCookies = cookies is not null, CookieContainer = cookies ?? new CookieContainer() };
#pragma warning restore CA2000
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = GetBaseAddress() };
    }

    private static async Task<IReadOnlyList<(string Id, string Text)>> ReadMailboxAsync(HttpClient http, string email, CancellationToken ct)
    {
        using var response = await http.GetAsync("/dev/emails?to=" + Uri.EscapeDataString(email), ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "GET /dev/emails (is DevEndpoints__Enabled on?)", ct).ConfigureAwait(false);
        var mails = await response.Content.ReadFromJsonAsync<JsonElement>(ct).ConfigureAwait(false);
        return [.. mails.EnumerateArray().Select(mail => (mail.GetProperty("id").GetRawText(), mail.GetProperty("text").GetString() ?? ""))];
    }

    private static async Task<string> WaitForVerifyTokenAsync(HttpClient http, string email, HashSet<string> seen, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + MailWait;
        while (true)
        {
            // Newest first: the first new mail with a link is this signup's.
            foreach (var (id, text) in await ReadMailboxAsync(http, email, ct).ConfigureAwait(false))
            {
                if (seen.Contains(id)) continue;
                if (VerifyLink().Match(text) is { Success: true } link) return link.Groups[1].Value;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No verification mail reached {email} within {MailWait.TotalSeconds:0} s. An address with a verified account gets a notice instead of a link.");
            await Task.Delay(MailPoll, ct).ConfigureAwait(false);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string step, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var problem = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        throw new HttpRequestException($"{step} answered {(int)response.StatusCode}: {problem}", null, response.StatusCode);
    }

    [GeneratedRegex(@"verify-email\?token=([A-Za-z0-9_-]+)")]
    private static partial Regex VerifyLink();
}
