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
    private static async Task<HttpStatusCode[]> StatusesAsync(Dictionary<string, string?> settings)
    {
        await using var factory = await AuthServiceFactory.CreateAsync(settings);
        var http = factory.CreateClient();
        return
        [
            (await http.GetAsync("/verify-email?token=x")).StatusCode,
            (await http.GetAsync("/reset-password?token=x")).StatusCode,
            (await http.PostAsync("/verify-email", new FormUrlEncodedContent([KeyValuePair.Create("token", "x")]))).StatusCode,
        ];
    }

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
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.BadRequest],
            await StatusesAsync(new() { ["Auth:AppBaseUrl"] = AuthServiceFactory.Issuer + "/" }));
    }

    [Fact]
    public async Task ServeLinkPages_OverridesWhatAppBaseUrlImplies()
    {
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.BadRequest],
            await StatusesAsync(new() { ["Auth:ServeLinkPages"] = "true" }));
        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound],
            await StatusesAsync(new() { ["Auth:AppBaseUrl"] = "", ["Auth:ServeLinkPages"] = "false" }));
    }
}
