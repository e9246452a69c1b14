using AuthService.Docs;
using AuthService.Http;
using AuthService.Options;
using AuthService.Shared;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Npgsql;

namespace AuthService.Email;

/// <summary>GET /dev/emails: the outbox as a mailbox, so local runs and other teams' tests can follow email links. 404 unless enabled.</summary>
internal static class DevMailboxEndpoints
{
    public static IEndpointRouteBuilder MapDevMailbox(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dev/emails", ListEmails).WithTags("Development").WithName("ListDevEmails")
            .Produces<IReadOnlyList<OutboxEmail>>()
            .WithSummary("Read the dev mailbox")
            .WithDescription("The outbox as a mailbox, newest first (at most 100), so local runs and other teams' tests can follow " +
                "email links without SMTP. Mails are rendered a moment after the request that queued them: poll briefly. Only where " +
                "`DevEndpoints:Enabled` is on (Development by default); never enable it in production.")
            .DescribesParameter("to", ParameterLocation.Query, "Only mails to this address (normalized as at signup); all mails without it.",
                "ada@example.com")
            .WithResponseDescription(200, "The mails, newest first.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.to`: `invalid_format` (too long, or control characters).")
            .ProducesError(404, ErrorCodes.NotFound, "`DevEndpoints:Enabled` is off.");
        return app;
    }

    private static async Task<IResult> ListEmails(string? to, NpgsqlDataSource dataSource, IOptions<DevEndpointsOptions> options, CancellationToken ct)
    {
        if (!options.Value.Enabled) return Problems.NotFound();
        if (to is not null && (to.Length > EmailAddress.MaxLength || to.Any(char.IsControl)))
            return Problems.Validation(new Dictionary<string, string[]> { ["to"] = [FieldErrors.InvalidFormat] });
        var recipient = to is null ? null : EmailAddress.Normalize(to) ?? to.Trim().ToLowerInvariant();
        return TypedResults.Ok(await OutboxStore.ListForRecipientAsync(dataSource, recipient, ct));
    }
}
