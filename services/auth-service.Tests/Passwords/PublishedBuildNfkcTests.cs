using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Passwords;

/// <summary>Starts the published service once for the class, against its own fresh database.</summary>
public sealed class PublishedServiceFixture : IAsyncLifetime
{
    public PublishedService Service { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The service's database, for operator commands run against it.</summary>
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        Service = await PublishedService.StartAsync(ConnectionString);
        Http = new HttpClient { BaseAddress = Service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Service is not null) await Service.DisposeAsync();
    }
}

/// <summary>
/// NFKC in the build that ships, over HTTP: the in-memory tests run in the test host's globalization
/// mode, which once differed from the published one (invariant mode made normalization a no-op there).
/// </summary>
[Trait("Category", PublishedService.Category)]
public sealed partial class PublishedBuildNfkcTests(PublishedServiceFixture fixture) : IClassFixture<PublishedServiceFixture>
{
    // "crème brûlée" typed with precomposed letters (U+00E8, U+00FB, U+00E9) ...
    internal const string Precomposed = "cr\u00e8me br\u00fbl\u00e9e for breakfast 42";
    // ... and with base letters + combining marks (U+0300, U+0302, U+0301), as some keyboards and OSes send it.
    internal const string Decomposed = "cre\u0300me bru\u0302le\u0301e for breakfast 42";

    // "1qaz2wsx3edc4rfv" is on the shipped list; its fullwidth spelling is the same password after NFKC.
    internal const string CommonAscii = "1qaz2wsx3edc4rfv";
    internal const string CommonFullwidth = "\uff11\uff51\uff41\uff5a\uff12\uff57\uff53\uff58\uff13\uff45\uff44\uff43\uff14\uff52\uff46\uff56";

    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task Signin_WithDecomposedFormOfPrecomposedPassword_Succeeds()
    {
        Assert.NotEqual(Precomposed, Decomposed); // different UTF-16, the same text after NFKC
        var email = AuthClient.NewEmail("nfkc");
        Assert.Equal(HttpStatusCode.Accepted, (await Http.PostAsJsonAsync("/auth/signup", new { email, password = Precomposed })).StatusCode);
        var token = await VerifyEmailTokenAsync(email);
        (await Http.PostAsJsonAsync("/auth/verify-email", new { token })).EnsureSuccessStatusCode();

        var decomposed = await Http.PostAsJsonAsync("/auth/signin", new { email, password = Decomposed });
        var precomposed = await Http.PostAsJsonAsync("/auth/signin", new { email, password = Precomposed });
        var otherAccent = await Http.PostAsJsonAsync("/auth/signin", new { email, password = Precomposed.Replace('\u00e8', '\u00ea') });

        Assert.Equal(HttpStatusCode.OK, decomposed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, precomposed.StatusCode);
        await ProblemAssert.IsProblemAsync(otherAccent, HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Signup_WithFullwidthCommonPassword_IsRefusedTooCommon()
    {
        var ascii = await Http.PostAsJsonAsync("/auth/signup", new { email = AuthClient.NewEmail(), password = CommonAscii });
        var wide = await Http.PostAsJsonAsync("/auth/signup", new { email = AuthClient.NewEmail(), password = CommonFullwidth });

        var asciiProblem = await ProblemAssert.IsProblemAsync(ascii, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["too_common"], ProblemAssert.FieldErrors(asciiProblem, "password"));
        var wideProblem = await ProblemAssert.IsProblemAsync(wide, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["too_common"], ProblemAssert.FieldErrors(wideProblem, "password"));
    }

    [Fact]
    public void PublishedService_RunsWithIcu_NotInvariantMode()
    {
        // The process mapped ICU, which the runtime loads only outside invariant mode ...
        var maps = File.ReadAllText($"/proc/{fixture.Service.ProcessId}/maps");
        Assert.Contains("libicuuc.so", maps);
        Assert.Contains("libicui18n.so", maps);
        // ... and the startup check (UnicodeNormalization.EnsureWorks) let it start at all.
        Assert.DoesNotContain("globalization-invariant", fixture.Service.Output);
    }

    private async Task<string> VerifyEmailTokenAsync(string to)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var emails = await Http.GetFromJsonAsync<JsonElement[]>($"/dev/emails?to={Uri.EscapeDataString(to)}");
            foreach (var email in emails!)
                if (VerifyLink().Match(email.GetProperty("text").GetString() ?? "") is { Success: true } match)
                    return match.Groups[1].Value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No verification email for {to}.");
            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"/verify-email\?token=([A-Za-z0-9_\-]+)")]
    private static partial Regex VerifyLink();
}
