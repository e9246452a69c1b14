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

    public static IResult Show(HttpContext http, PasswordPolicy policy) =>
        LinkPage.LinkToken(http.Request) is { Length: > 0 } token
            ? HtmlPage.Render(http, Title, Form(http, token, policy, errors: []))
            : LinkPage.Broken(http, "This link is incomplete. Open the whole link from the email, or paste all of it into the address bar.");

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
        if (LinkPage.ErrorsFor(answer, "newPassword") is { Length: > 0 } errors && !string.IsNullOrEmpty(token))
            return HtmlPage.Render(http, Title, Form(http, token, policy, errors), StatusCodes.Status400BadRequest);
        return LinkPage.Broken(http, "This reset link is invalid, used or expired. Only the newest reset link works, and only once. " +
            "Ask the app for a new one.");
    }

    private static string Form(HttpContext http, string token, PasswordPolicy policy, string[] errors)
    {
        // Each refusal by its code's meaning, tied to the field so a screen reader reads it with the field.
        var messages = string.Concat(errors.Select(code => $"""<p class="error">{HtmlPage.Encode(policy.Explain(code))}</p>"""));
        var invalid = errors.Length > 0;
        return $"""
            <h1>{Title}</h1>
            <form method="post" action="{LinkPage.Action(http, Path)}">
            <input type="hidden" name="token" value="{HtmlPage.Encode(token)}">
            <label for="newPassword">New password</label>
            <p class="hint" id="newPassword-rule">{HtmlPage.Encode(policy.Rules.Description)}</p>
            <input id="newPassword" name="newPassword" type="password" autocomplete="new-password" required autofocus
              aria-describedby="newPassword-rule{(invalid ? " newPassword-errors" : "")}"{(invalid ? " aria-invalid=\"true\"" : "")}>
            {(invalid ? $"<div id=\"newPassword-errors\">{messages}</div>" : "")}
            <button type="submit">Set new password</button>
            </form>
            """;
    }
}
