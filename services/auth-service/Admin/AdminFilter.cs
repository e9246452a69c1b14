using AuthService.Http;
using AuthService.Roles;
using AuthService.Shared;

namespace AuthService.Admin;

/// <summary>
/// Lets only admins through. The bearer check (BearerAuthentication) has just read the caller's row from the
/// database, live session and not disabled included, so the roles tested here are the current ones, not the
/// token's: revoking <c>admin</c> or disabling an admin takes effect on their very next call.
/// </summary>
internal sealed class AdminFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var caller = context.HttpContext.GetAuthenticatedUser();
        if (!caller.User.Roles.Contains(RoleNames.Admin, StringComparer.Ordinal))
            return ValueTask.FromResult<object?>(Problems.Create(403, ErrorCodes.Forbidden, "The admin role is required"));
        return next(context);
    }
}
