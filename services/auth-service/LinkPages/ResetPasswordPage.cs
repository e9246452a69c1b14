using AuthService.Accounts;
using AuthService.Passwords;
using AuthService.Shared;
using AuthService.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.LinkPages;

/// <summary>/reset-password?token=…: a new-password field with the rule stated, posted with the token.</summary>
internal static class ResetPasswordPage
{
    public const string Path = "/reset-password";
    private const string Title = "Choose a new password";

    /// <summary>Looks the link up (reading only) to show either its form or, at once, that it no longer works.</summary>
    public static async Task<IResult> ShowAsync(HttpContext http, PasswordStore store, PasswordPolicy policy, CancellationToken ct)
    {
        if (LinkPage.LinkToken(http.Request) is not { Length: > 0 } token) return LinkPage.Incomplete(http);
        return await FindAsync(store, token, ct) is { } target
            ? HtmlPage.Render(http, Title, Form(http, token, target.Email, policy, errors: []))
            : Broken(http);
    }

    public static async Task<IResult> SubmitAsync(
        HttpContext http, PasswordStore store, PasswordPolicy policy, Argon2id hasher, AuthMetrics metrics, CancellationToken ct)
    {
        var token = LinkPage.Field(http.Request, "token");
        var request = new ResetPasswordRequest(token, LinkPage.Field(http.Request, "newPassword"));
        var answer = (await PasswordEndpoints.Reset(request, http, store, policy, hasher, metrics, ct)).Result;
        if (answer is NoContent)
            return HtmlPage.Render(http, "Password changed", """
                <h1>Password changed</h1>
                <p class="done" role="status">Your new password is set, and every session of the account was signed out.
                Sign in with the new password.</p>
                """);
        if (LinkPage.ErrorsFor(answer, "newPassword") is { Length: > 0 } errors && await FindAsync(store, token, ct) is { } target)
            return HtmlPage.Render(http, Title, Form(http, token!, target.Email, policy, errors), StatusCodes.Status400BadRequest);
        return Broken(http);
    }

    private static async Task<ResetTarget?> FindAsync(PasswordStore store, string? token, CancellationToken ct) =>
        OpaqueToken.LooksValid(token) ? await store.FindResetTargetAsync(token!, ct) : null;

    private static string Form(HttpContext http, string token, string email, PasswordPolicy policy, string[] errors) => $"""
        <h1>{Title}</h1>
        <p>For the account {HtmlPage.Encode(email)}.</p>
        <form method="post" action="{LinkPage.Action(http, Path)}">
        {LinkPage.HiddenFields(token, email)}
        <label for="newPassword">New password</label>
        <p class="hint" id="newPassword-rule">{HtmlPage.Encode(policy.Rules.Description)}</p>
        {LinkPage.PasswordInput("newPassword", "new-password", "newPassword-rule", [.. errors.Select(policy.Explain)])}
        <button type="submit">Set new password</button>
        </form>
        """;

    private static IResult Broken(HttpContext http) => LinkPage.Broken(http, "This reset link is invalid, used or expired. " +
        "Only the newest reset link works, and only once. Ask the app for a new one.");
}
