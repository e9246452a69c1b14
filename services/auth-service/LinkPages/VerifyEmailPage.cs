using AuthService.Accounts;
using AuthService.Passwords;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.LinkPages;

/// <summary>/verify-email?token=…: a button that posts the token, with a password field when the link needs its signup's password.</summary>
internal static class VerifyEmailPage
{
    public const string Path = "/verify-email";
    private const string Title = "Verify your email";

    /// <summary>Looks the link up (reading only) to show either its form or, at once, that it no longer works.</summary>
    public static async Task<IResult> ShowAsync(HttpContext http, AccountStore store, CancellationToken ct)
    {
        if (LinkPage.LinkToken(http.Request) is not { Length: > 0 } token) return LinkPage.Incomplete(http);
        return await FindAsync(store, token, ct) is { } link
            ? HtmlPage.Render(http, Title, Form(http, token, link, passwordError: null))
            : Broken(http);
    }

    public static async Task<IResult> SubmitAsync(HttpContext http, Argon2id hasher, AccountStore store, CancellationToken ct)
    {
        var token = LinkPage.Field(http.Request, "token");
        var request = new VerifyEmailRequest(token, LinkPage.Field(http.Request, "password"));
        var answer = (await AccountEndpoints.VerifyEmail(request, http, hasher, store, ct)).Result;
        if (answer is Ok<UserResponse> { Value: { } user })
            return HtmlPage.Render(http, "Email verified", $"""
                <h1>Email verified</h1>
                <p class="done" role="status">{HtmlPage.Encode(user.Email)} is verified. You can sign in now.</p>
                """);
        // The link stays unused when its password was missing or wrong: the form again, saying which.
        if (LinkPage.ErrorsFor(answer, "password") is [var code, ..] && await FindAsync(store, token, ct) is { } link)
            return HtmlPage.Render(http, Title, Form(http, token!, link, code), StatusCodes.Status400BadRequest);
        return Broken(http);
    }

    private static async Task<VerifyLink?> FindAsync(AccountStore store, string? token, CancellationToken ct) =>
        OpaqueToken.LooksValid(token) ? await store.FindVerifyLinkAsync(token!, ct) : null;

    private static string Form(HttpContext http, string token, VerifyLink link, string? passwordError)
    {
        var password = !link.NeedsPassword ? "" : $"""
            <label for="password">Password</label>
            <p class="hint" id="password-hint">This address was signed up more than once. Enter the password chosen at the signup
            this link belongs to (the newest one).</p>
            {LinkPage.PasswordInput("password", "current-password", "password-hint", passwordError is null ? [] : [PasswordErrorText(passwordError)])}
            """;
        return $"""
            <h1>{Title}</h1>
            <p>Confirm that {HtmlPage.Encode(link.Email)} is your address to finish creating your account.</p>
            <form method="post" action="{LinkPage.Action(http, Path)}">
            {LinkPage.HiddenFields(token, link.Email)}
            {password}
            <button type="submit">Verify my email</button>
            </form>
            """;
    }

    private static string PasswordErrorText(string code) => code == FieldErrors.Mismatch
        ? "That is not the password of the signup this link belongs to."
        : "Enter the password you signed up with.";

    private static IResult Broken(HttpContext http) => LinkPage.Broken(http, "This verification link is invalid, used or expired. " +
        "Links expire, and signing up again or changing the password replaces them. Ask the app for a new verification email.");
}
