using AuthService.Http;
using AuthService.Options;
using AuthService.Shared;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Email;

/// <summary>GET /dev/emails: the outbox as a mailbox, so local runs and other teams' tests can follow email links. 404 unless enabled.</summary>
internal static class DevMailboxEndpoints
{
    public static IEndpointRouteBuilder MapDevMailbox(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dev/emails", ListEmails).WithTags("Development").WithName("ListDevEmails")
            .Produces<IReadOnlyList<OutboxEmail>>().ProducesProblem(404);
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
