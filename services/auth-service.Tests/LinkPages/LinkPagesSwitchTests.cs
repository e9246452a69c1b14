using System.Net;
using AuthService.Tests.Http;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.LinkPages;

/// <summary>
/// The link pages are served where the mailed links lead to the service (Auth:AppBaseUrl unset or equal to the issuer)
/// and stay out of the way of an app that owns those routes; Auth:ServeLinkPages overrides either way.
/// </summary>
public sealed class LinkPagesSwitchTests
{
    /// <summary>How the service answers a link with an unknown token: a page (400, "does not work") when it serves them, else 404.</summary>
    private static async Task<string[]> AnswersAsync(Dictionary<string, string?> settings)
    {
        await using var factory = await AuthServiceFactory.CreateAsync(settings);
        var http = factory.CreateClient();
        static string Answer(HttpResponseMessage r) => $"{(int)r.StatusCode} {r.Content.Headers.ContentType?.MediaType}";
        return
        [
            Answer(await http.GetAsync("/verify-email?token=x")),
            Answer(await http.GetAsync("/reset-password?token=x")),
            Answer(await http.PostAsync("/verify-email", new FormUrlEncodedContent([KeyValuePair.Create("token", "x")]))),
        ];
    }

    private static readonly string[] Served = ["400 text/html", "400 text/html", "400 text/html"];
    private static readonly string[] NotServed = ["404 application/problem+json", "404 application/problem+json", "404 application/problem+json"];

    [Fact]
    public async Task AppBaseUrlOfAnotherOrigin_NoPages_TheContractsNotFound()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(); // AppBaseUrl is the SPA's origin
        var http = factory.CreateClient();
        foreach (var path in new[] { "/verify-email?token=x", "/reset-password?token=x" })
            await ContractAssert.IsContractProblemAsync(await http.GetAsync(path), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task AppBaseUrlEqualToTheIssuer_ServesThePages()
    {
        Assert.Equal(Served, await AnswersAsync(new() { ["Auth:AppBaseUrl"] = AuthServiceFactory.Issuer + "/" }));
    }

    [Fact]
    public async Task ServeLinkPages_OverridesWhatAppBaseUrlImplies()
    {
        Assert.Equal(Served, await AnswersAsync(new() { ["Auth:ServeLinkPages"] = "true" }));
        Assert.Equal(NotServed, await AnswersAsync(new() { ["Auth:AppBaseUrl"] = "", ["Auth:ServeLinkPages"] = "false" }));
    }
}
