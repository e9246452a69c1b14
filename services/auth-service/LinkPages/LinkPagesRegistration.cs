using AuthService.Http;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.LinkPages;

/// <summary>
/// The pages the mailed links open, for deployments where those links lead to this service rather than to an
/// app of their own (<see cref="AuthOptions.LinksOpenThisService"/>). A GET only shows a form, since mail scanners
/// fetch links; the form's POST acts, through the code of the JSON endpoints. No script: they work without one.
/// </summary>
internal static class LinkPagesRegistration
{
    public static IEndpointRouteBuilder MapLinkPages(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.LinksOpenThisService()) return app;
        // Pages, not API: described in docs/api.md, not in the OpenAPI document.
        var pages = app.MapGroup("").ExcludeFromDescription();
        pages.MapMethods(VerifyEmailPage.Path, ["GET", "HEAD"], VerifyEmailPage.ShowAsync);
        pages.MapMethods(ResetPasswordPage.Path, ["GET", "HEAD"], ResetPasswordPage.ShowAsync);
        pages.MapMethods(ConfirmEmailChangePage.Path, ["GET", "HEAD"], ConfirmEmailChangePage.ShowAsync);
        var forms = pages.MapGroup("").RequireRateLimiting(RateLimits.Credentials).AddEndpointFilter(LinkPage.ReadAsync);
        forms.MapPost(VerifyEmailPage.Path, VerifyEmailPage.SubmitAsync);
        forms.MapPost(ResetPasswordPage.Path, ResetPasswordPage.SubmitAsync);
        forms.MapPost(ConfirmEmailChangePage.Path, ConfirmEmailChangePage.SubmitAsync);
        return app;
    }
}
