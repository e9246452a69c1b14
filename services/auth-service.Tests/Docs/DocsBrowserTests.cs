using System.Collections.Concurrent;
using AuthService.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AuthService.Tests.Docs;

/// <summary>
/// The reference in a real browser: it renders the operations under its own Content-Security-Policy without a single
/// violation or console error, and loads nothing from anywhere but the service (it works offline).
/// </summary>
[Trait("Category", "Browser")]
public sealed class DocsBrowserTests(DocsBrowserFixture fixture, ITestOutputHelper output) : IClassFixture<DocsBrowserFixture>, IAsyncLifetime
{
    // Chromium reports what a policy blocked as a DOM event; recorded before any page script runs.
    private const string RecordViolations = """
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', e => window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
        """;

    // The reference renders after fetching and parsing the document: slow on a busy 2-core machine.
    private static readonly LocatorAssertionsToBeVisibleOptions Rendered = new() { Timeout = 30_000 };

    private IBrowserContext context = null!;
    private readonly ConcurrentBag<string> problems = [];

    public async Task InitializeAsync()
    {
        context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        context.SetDefaultTimeout(30_000);
        await context.AddInitScriptAsync(RecordViolations);
    }

    public async Task DisposeAsync() => await context.CloseAsync();

    private async Task<IPage> OpenAsync(string path)
    {
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") problems.Add($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => problems.Add($"page error: {e}");
        page.Request += (_, r) =>
        {
            if (!r.Url.StartsWith(fixture.Origin + "/", StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal)
                && !r.Url.StartsWith("blob:", StringComparison.Ordinal))
                problems.Add($"request outside the service: {r.Url}");
        };
        page.RequestFailed += (_, r) => problems.Add($"request failed: {r.Url} {r.Failure}");
        page.Response += (_, r) => { if (r.Status >= 400) problems.Add($"{r.Status} for {r.Url}"); };
        var response = await page.GotoAsync(fixture.Origin + path, new() { WaitUntil = WaitUntilState.NetworkIdle });
        Assert.Equal(200, response!.Status);
        return page;
    }

    private async Task AssertCleanAsync(IPage page)
    {
        var violations = await page.EvaluateAsync<string[]>("() => window.__violations");
        Assert.True(violations.Length == 0, "Content-Security-Policy violations:\n" + string.Join("\n", violations));
        Assert.True(problems.IsEmpty, string.Join("\n", problems));
    }

    [Fact]
    public async Task Reference_ListsTheOperations_UnderItsPolicy_WithoutViolationsOrOutsideRequests()
    {
        var page = await OpenAsync("/docs/");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "auth-service", Exact = true })).ToBeVisibleAsync(Rendered);
        await Expect(page.GetByText("Sign up", new() { Exact = true }).First).ToBeVisibleAsync(Rendered);
        // An operation's page, with its documented problems.
        await page.GetByText("Sessions", new() { Exact = true }).First.ClickAsync();
        await page.GetByText("Refresh the access token", new() { Exact = true }).First.ClickAsync();
        await Expect(page.GetByText("refresh_token_reused").First).ToBeAttachedAsync(new() { Timeout = 30_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // Nothing sends the reader (or the document) to Scalar's hosted services; the one credit link may stay.
        var offsite = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('a[href]')].map(a => a.href).filter(h => /^https?:/.test(h) && !h.startsWith(location.origin))");
        Assert.All(offsite, href => Assert.StartsWith("https://scalar.com/?utm_source=powered-by", href));

        var screenshot = await Screenshots.SaveAsync(page, "docs.png", minBytes: 10_000, fullPage: false);
        output.WriteLine($"Screenshot of /docs: {screenshot}");

        // The built-in client opens under the same policy.
        await page.GetByRole(AriaRole.Button, new() { Name = "Test Request" }).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Send" }).First).ToBeVisibleAsync(Rendered);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        await AssertCleanAsync(page);
    }

    [Fact]
    public async Task HomePage_RendersItsStyle_AndLeadsToTheReference()
    {
        var page = await OpenAsync("/");

        // Its inline style applies (allowed by hash): the body is 42rem wide at most.
        Assert.Equal("672px", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).maxWidth"));
        await page.GetByRole(AriaRole.Link, new() { Name = "API reference" }).ClickAsync();
        await page.WaitForURLAsync(fixture.Origin + "/docs/");
        await Expect(page.GetByText("Sign up", new() { Exact = true }).First).ToBeVisibleAsync(Rendered);

        await AssertCleanAsync(page);
    }
}
