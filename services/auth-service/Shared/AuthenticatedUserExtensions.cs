namespace AuthService.Shared;

/// <summary>Reads the caller that bearer authentication attached to the request.</summary>
public static class AuthenticatedUserExtensions
{
    private const string UserItem = "auth.user";

    public static AuthenticatedUser GetAuthenticatedUser(this HttpContext http) =>
        http.Items[UserItem] as AuthenticatedUser ?? throw new InvalidOperationException("Endpoint is missing RequireAuthorization().");

    internal static void SetAuthenticatedUser(this HttpContext http, AuthenticatedUser user) => http.Items[UserItem] = user;
}
