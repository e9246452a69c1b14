using AuthService.Docs;
using AuthService.Http;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Accounts;

/// <summary>GET /auth/me/export: the signed-in user's data, for them to keep or take elsewhere.</summary>
internal static class ExportEndpoints
{
    public static IEndpointRouteBuilder MapAccountExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/auth/me/export", ExportAsync).WithName("ExportMe").WithTags("Accounts").RequireAuthorization()
            .RequireRateLimiting(RateLimits.Credentials) // a whole account's data: not for polling
            .WithSummary("Export the signed-in user's data")
            .WithDescription("Everything the service holds about the caller: the profile, roles, live sessions, second factors (TOTP on or " +
                $"off, the number of passkeys) and the account's audit events (the newest {AccountExportStore.MaxAuditEvents:N0}). No password " +
                "hash, token or key is ever part of it. Not cached (`Cache-Control: no-store`).")
            .WithResponseDescription(200, "The caller's data.");
        return app;
    }

    public static async Task<Ok<AccountExport>> ExportAsync(HttpContext http, AccountExportStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ExportAsync(http.GetAuthenticatedUser(), ct));
}
