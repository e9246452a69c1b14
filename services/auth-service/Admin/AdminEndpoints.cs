using AuthService.Docs;
using AuthService.Http;
using AuthService.Import;
using AuthService.Mfa;
using AuthService.Passwords;
using AuthService.Roles;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;

namespace AuthService.Admin;

/// <summary>
/// The admin API: other users' accounts, for callers whose CURRENT roles hold <c>admin</c> (<see cref="AdminFilter"/>).
/// Every write is audited with the admin as <c>actor_id</c> and the account as <c>user_id</c>.
/// </summary>
internal static class AdminEndpoints
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    public const int MaxQueryLength = 254;

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/admin/users").WithTags("Admin").RequireAuthorization().AddEndpointFilter<AdminFilter>()
            .RequireRateLimiting(RateLimits.Admin)
            .ProducesError(403, ErrorCodes.Forbidden, "The caller's current roles (read from the database on every call) lack `admin`.");
        users.MapUserImport(); // POST /admin/users/import (Import/)
        users.MapGet("", List).WithName("AdminListUsers")
            .WithSummary("List users")
            .WithDescription("Every account, newest first (keyset pagination by creation time and id): rows created while a client " +
                "pages never shift a page, so nothing is seen twice or missed. `query` matches part of the email or the display name, " +
                "case-insensitively (`%` and `_` are plain characters).")
            .DescribesParameter("query", ParameterLocation.Query, $"Part of the email or display name; at most {MaxQueryLength} characters.", "ada")
            .DescribesParameter("limit", ParameterLocation.Query, $"Users per page, 1–{MaxLimit} (default {DefaultLimit}).", "50")
            .DescribesParameter("cursor", ParameterLocation.Query, "The `nextCursor` of the previous page; absent for the first.",
                "AAYBn0T3kQAB2k3qZ8Wg3UuO0x2yF1bRwA")
            .WithResponseDescription(200, "One page; `nextCursor` is null on the last.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.query`: `too_long`, `invalid_format`; `errors.limit`: `invalid_format`; " +
                "`errors.cursor`: `invalid_format`.");
        users.MapGet("/{id}", Get).WithName("AdminGetUser")
            .WithSummary("Get a user")
            .WithDescription("One account with its standing: disabled, last signin, live sessions.")
            .DescribesParameter("id", ParameterLocation.Path, "The user's id.", "3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f")
            .WithResponseDescription(200, "The user.")
            .ProducesError(404, ErrorCodes.NotFound, "No user has that id (or it is not a UUID).");
        users.MapPost("", Create).WithName("AdminCreateUser")
            .WithSummary("Create a user")
            .WithDescription("Creates an account. With `password`, the admin chose it; `emailVerified` defaults to false, and the user " +
                "then verifies through resend-verification before signing in. Without `password`, an invitation mail goes to the address " +
                "with a set-password link (`{Auth:AppBaseUrl}/reset-password?token=…`, valid `Auth:InvitationLifetime`, default 7 days); " +
                "setting the password through it also verifies the address.")
            .WithResponseDescription(201, "Created; `Location` names the user.")
            .WithResponseHeader(201, "Location", "`/admin/users/{id}` of the new user.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.email`, `errors.password` (the password rule; `required` when empty), " +
                "`errors.displayName`, `errors.roles` (`invalid_format`, `too_many`).")
            .ProducesError(409, ErrorCodes.EmailTaken);
        users.MapPatch("/{id}", Update).WithName("AdminUpdateUser")
            .WithSummary("Change a user")
            .WithDescription("Changes the members sent; absent or null members stay as they are. `roles` replaces the whole set; " +
                "tokens show it from the user's next refresh. An admin cannot remove `admin` from themselves.")
            .DescribesParameter("id", ParameterLocation.Path, "The user's id.", "3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f")
            .WithResponseDescription(200, "The user as changed.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.displayName`; `errors.roles`: `invalid_format`, `too_many`, " +
                "`own_admin_role`.")
            .ProducesError(404, ErrorCodes.NotFound, "No user has that id (or it is not a UUID).");
        users.MapPost("/{id}/disable", Disable).WithName("AdminDisableUser")
            .WithSummary("Disable a user")
            .WithDescription("Revokes every session at once; from then on signin answers 403 `account_disabled` (after the password " +
                "check), refresh 401 `refresh_token_invalid`, and bearer calls 401. An admin cannot disable themselves.")
            .DescribesParameter("id", ParameterLocation.Path, "The user's id.", "3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f")
            .WithResponseDescription(204, "Disabled (also when it already was).")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.id`: `own_account`.")
            .ProducesError(404, ErrorCodes.NotFound, "No user has that id (or it is not a UUID).");
        users.MapPost("/{id}/enable", Enable).WithName("AdminEnableUser")
            .WithSummary("Enable a user")
            .WithDescription("Lets a disabled user sign in again; sessions revoked by the disable stay revoked.")
            .DescribesParameter("id", ParameterLocation.Path, "The user's id.", "3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f")
            .WithResponseDescription(204, "Enabled (also when it was not disabled).")
            .ProducesError(404, ErrorCodes.NotFound, "No user has that id (or it is not a UUID).");
        users.MapPost("/{id}/logout", Logout).WithName("AdminLogoutUser")
            .WithSummary("Log a user out everywhere")
            .WithDescription("Revokes every session of the user; their refresh tokens and `/auth/me` stop working at once.")
            .DescribesParameter("id", ParameterLocation.Path, "The user's id.", "3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f")
            .WithResponseDescription(204, "Every session is revoked.")
            .ProducesError(404, ErrorCodes.NotFound, "No user has that id (or it is not a UUID).");
        users.MapDelete("/{id}/mfa", ResetMfa).WithName("AdminResetUserMfa")
            .WithSummary("Remove a user's second factors")
            .WithDescription("For a lost device, after the user's identity was checked out of band: removes the user's TOTP secret, " +
                "recovery codes and passkeys (and MFA signins in progress) in one transaction, so signin needs only the password again. " +
                "Audited with the admin; the owner is mailed.")
            .DescribesParameter("id", ParameterLocation.Path, "The user's id.", "3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f")
            .WithResponseDescription(204, "Removed (also when the user had none).")
            .ProducesError(404, ErrorCodes.NotFound, "No user has that id (or it is not a UUID).");
        users.MapDelete("/{id}", Delete).WithName("AdminDeleteUser")
            .WithSummary("Delete a user")
            .WithDescription("Deletes the account, its sessions, tokens and queued mails in one transaction. The audit trail keeps the " +
                "user's events under its id, with addresses, user agents and personal details removed. An admin cannot delete themselves.")
            .DescribesParameter("id", ParameterLocation.Path, "The user's id.", "3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f")
            .WithResponseDescription(204, "Deleted.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.id`: `own_account`.")
            .ProducesError(404, ErrorCodes.NotFound, "No user has that id (or it is not a UUID).");
        return app;
    }

    public static async Task<Results<Ok<AdminUserPage>, ProblemHttpResult>> List(string? query, string? limit, string? cursor,
        AdminUserStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (query is not null)
        {
            if (query.Length > MaxQueryLength) errors["query"] = [FieldErrors.TooLong];
            else if (!VisibleText.IsVisibleName(query) && query.Length > 0) errors["query"] = [FieldErrors.InvalidFormat];
        }
        var take = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out take)
            || take is < 1 or > MaxLimit))
            errors["limit"] = [FieldErrors.InvalidFormat];
        UserCursor? after = null;
        if (cursor is not null)
        {
            if (UserCursor.TryDecode(cursor, out var decoded)) after = decoded;
            else errors["cursor"] = [FieldErrors.InvalidFormat];
        }
        if (errors.Count > 0) return Problems.Validation(errors);
        return TypedResults.Ok(await store.ListAsync(query, take, after, ct));
    }

    public static async Task<Results<Ok<AdminUserResponse>, ProblemHttpResult>> Get(string id, AdminUserStore store, CancellationToken ct) =>
        Guid.TryParse(id, out var userId) && await store.FindAsync(userId, ct) is { } user ? TypedResults.Ok(user) : Problems.NotFound();

    public static async Task<Results<Created<AdminUserResponse>, ProblemHttpResult>> Create(CreateUserRequest request, HttpContext http,
        AdminUserStore store, PasswordPolicy policy, Argon2id hasher, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var email = EmailAddress.Normalize(request.Email);
        if (string.IsNullOrEmpty(request.Email)) errors["email"] = [FieldErrors.Required];
        else if (email is null) errors["email"] = [FieldErrors.InvalidFormat];
        if (request.Password is null) { } // an invitation: the user chooses the password through the mailed link
        else if (request.Password.Length == 0) errors["password"] = [FieldErrors.Required];
        else if (policy.Check(request.Password, email) is { Count: > 0 } passwordErrors) errors["password"] = [.. passwordErrors];
        if (FieldErrors.CheckDisplayName(request.DisplayName, out var displayName) is { } nameError) errors["displayName"] = [nameError];
        string[] roles = [];
        if (request.Roles is not null && RoleNames.Check(request.Roles, out roles) is { } rolesError) errors["roles"] = [rolesError];
        if (errors.Count > 0) return Problems.Validation(errors);

        // An invitee gets the hash of a random secret nobody knows: the account has no usable password until the link sets one.
        var invite = request.Password is null;
        var hash = await hasher.HashAsync(invite ? OpaqueToken.New() : request.Password!, ct);
        var admin = http.GetAuthenticatedUser().User.Id;
        var id = await store.CreateAsync(email!, hash, displayName, roles, request.EmailVerified ?? false, invite, admin, RequestOrigin.From(http), ct);
        if (id is null) return Problems.Create(409, ErrorCodes.EmailTaken, "A user with this email exists");
        return TypedResults.Created($"/admin/users/{id}", await store.FindAsync(id.Value, ct));
    }

    public static async Task<Results<Ok<AdminUserResponse>, ProblemHttpResult>> Update(string id, UpdateUserRequest request, HttpContext http,
        AdminUserStore store, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var userId)) return Problems.NotFound();
        var errors = new Dictionary<string, string[]>();
        if (FieldErrors.CheckDisplayName(request.DisplayName, out var displayName) is { } nameError) errors["displayName"] = [nameError];
        string[]? roles = null;
        if (request.Roles is not null)
        {
            if (RoleNames.Check(request.Roles, out var checkedRoles) is { } rolesError) errors["roles"] = [rolesError];
            else roles = checkedRoles;
        }
        var admin = http.GetAuthenticatedUser().User.Id;
        if (roles is not null && userId == admin && !roles.Contains(RoleNames.Admin, StringComparer.Ordinal))
            errors["roles"] = [AdminFieldErrors.OwnAdminRole];
        if (errors.Count > 0) return Problems.Validation(errors);

        if (!await store.UpdateAsync(userId, displayName, roles, request.EmailVerified, admin, RequestOrigin.From(http), ct))
            return Problems.NotFound();
        return TypedResults.Ok((await store.FindAsync(userId, ct))!);
    }

    public static Task<Results<NoContent, ProblemHttpResult>> Disable(string id, HttpContext http, AdminUserStore store, CancellationToken ct) =>
        ActAsync(id, http, forbidSelf: true, (userId, admin, origin) => store.DisableAsync(userId, admin, origin, ct));

    public static Task<Results<NoContent, ProblemHttpResult>> Enable(string id, HttpContext http, AdminUserStore store, CancellationToken ct) =>
        ActAsync(id, http, forbidSelf: false, (userId, admin, origin) => store.EnableAsync(userId, admin, origin, ct));

    public static Task<Results<NoContent, ProblemHttpResult>> Logout(string id, HttpContext http, AdminUserStore store, CancellationToken ct) =>
        ActAsync(id, http, forbidSelf: false, (userId, admin, origin) => store.LogoutEverywhereAsync(userId, admin, origin, ct));

    public static Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, AdminUserStore store, CancellationToken ct) =>
        ActAsync(id, http, forbidSelf: true, (userId, admin, _) => store.DeleteAsync(userId, admin, ct));

    public static Task<Results<NoContent, ProblemHttpResult>> ResetMfa(string id, HttpContext http, MfaStore store, CancellationToken ct) =>
        ActAsync(id, http, forbidSelf: false, (userId, admin, origin) => store.ResetAllFactorsAsync(userId, admin, origin, ct));

    /// <summary>The shape of the 204 actions: a UUID or 404, not oneself where that would lock the admin out, 404 when gone.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> ActAsync(string id, HttpContext http, bool forbidSelf,
        Func<Guid, Guid, RequestOrigin, Task<bool>> act)
    {
        if (!Guid.TryParse(id, out var userId)) return Problems.NotFound();
        var admin = http.GetAuthenticatedUser().User.Id;
        if (forbidSelf && userId == admin)
            return Problems.Validation(new Dictionary<string, string[]> { ["id"] = [AdminFieldErrors.OwnAccount] });
        return await act(userId, admin, RequestOrigin.From(http)) ? TypedResults.NoContent() : Problems.NotFound();
    }
}
