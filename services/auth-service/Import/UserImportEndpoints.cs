using System.Security.Claims;
using AuthService.Docs;
using AuthService.Http;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Import;

/// <summary><c>POST /admin/users/import</c>: a batch of users from another system, for callers with the <c>admin</c> role.</summary>
internal static class UserImportEndpoints
{
    /// <summary>1 MiB: 1,000 users of about a kilobyte each (the global limit is 16 KiB).</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>
    /// Maps the import on <paramref name="group"/>: the <c>/admin</c> group, which requires the <c>admin</c> role.
    /// </summary>
    public static IEndpointRouteBuilder MapUserImport(this IEndpointRouteBuilder group)
    {
        group.MapPost("/import", Import).WithName("ImportUsers")
            .WithMetadata(new RequestBodyLimit(MaxBodyBytes))
            .WithSummary("Import users")
            .WithDescription("Creates up to 1,000 users from another system in one call (body up to 1 MiB; every other endpoint " +
                "keeps 16 KiB). Each user is validated as signup validates it; `passwordHash` is a bcrypt (`$2a$`, `$2b$`, `$2y$`), " +
                "Argon2id PHC or ASP.NET Core Identity V3 hash, checked as typed at the user's first signin and then replaced by " +
                "the service's Argon2id. A user without `passwordHash` cannot sign in until they reset their password. An address " +
                "that has an account already is skipped (`exists`), never changed, so a repeated call imports nothing twice. " +
                "Each user is imported whole or not at all, and audited (`user_imported`). Needs the `admin` role (403 without it). " +
                "Larger migrations: the `import-users` command (docs/migrating.md).")
            .WithResponseDescription(200, "The number imported and every skipped user with its reason: `exists`, `invalid_email`, " +
                "`duplicate_email` (earlier in this call), `invalid_display_name`, `invalid_roles`, `unsupported_password_hash`, `created_at_in_future`.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.users`: `required`, `too_long` (more than 1,000); " +
                "`errors[\"users[i].<member>\"]`: `unknown_member` (a misspelt member, say `password_hash`, refuses the whole call).")
            ;
        return group;
    }

    public static async Task<Results<Ok<ImportUsersResponse>, ProblemHttpResult>> Import(
        ImportUsersRequest request, HttpContext http, UserImporter importer, CancellationToken ct)
    {
        if (request.Users is null)
            return Problems.Validation(new Dictionary<string, string[]> { ["users"] = [FieldErrors.Required] });
        if (request.Users.Length > UserImporter.MaxBatch)
            return Problems.Validation(new Dictionary<string, string[]> { ["users"] = [FieldErrors.TooLong] });
        var unknown = request.Users
            .SelectMany((u, i) => u?.UnknownMembers?.Keys.Select(name => $"users[{i}].{name}") ?? [])
            .ToDictionary(name => name, _ => new[] { JsonRequestRules.UnknownMember });
        if (unknown.Count > 0) return Problems.Validation(unknown);
        // A null item is a row with no email: skipped as invalid_email like any other bad row.
        var rows = request.Users.Select(u => u ?? new ImportUser(null)).ToArray();
        var actor = Guid.TryParse(http.User.FindFirstValue("sub"), out var id) ? id : (Guid?)null;
        var result = await importer.ImportAsync(rows, "api", actor, RequestOrigin.From(http), ct);
        return TypedResults.Ok(new ImportUsersResponse(result.Imported, result.Skipped.Select(s => s.Skipped).ToArray()));
    }
}
