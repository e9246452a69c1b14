using AuthService.Accounts;
using AuthService.Passwords;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.LinkPages;

/// <summary>/verify-email?token=…: a button that posts the token; when the address saw more than one signup, a password field too.</summary>
internal static class VerifyEmailPage
{
    public const string Path = "/verify-email";
    private const string Title = "Verify your email";

    public static IResult Show(HttpContext http) =>
        LinkPage.LinkToken(http.Request) is { Length: > 0 } token
            ? HtmlPage.Render(http, Title, Form(http, token, passwordError: null))
            : LinkPage.Broken(http, "This link is incomplete. Open the whole link from the email, or paste all of it into the address bar.");

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
        if (LinkPage.ErrorsFor(answer, "password") is [var code, ..] && !string.IsNullOrEmpty(token))
            return HtmlPage.Render(http, Title, Form(http, token, code), StatusCodes.Status400BadRequest);
        return LinkPage.Broken(http, "This verification link is invalid, used or expired. Links expire, and signing up again or " +
            "changing the password replaces them. Ask the app for a new verification email.");
    }

    private static string Form(HttpContext http, string token, string? passwordError)
    {
        // The password is asked only after the service said the link needs it: most links never do.
        var password = passwordError is null ? "" : $"""
            <label for="password">Password</label>
            <p class="hint" id="password-hint">This address was signed up more than once. Enter the password chosen at the signup
            this link belongs to (the newest one).</p>
            <input id="password" name="password" type="password" autocomplete="current-password" required autofocus
              aria-invalid="true" aria-describedby="password-hint password-error">
            <p class="error" id="password-error">{HtmlPage.Encode(PasswordErrorText(passwordError))}</p>
            """;
        return $"""
            <h1>{Title}</h1>
            <p>Confirm that this address is yours to finish creating your account.</p>
            <form method="post" action="{LinkPage.Action(http, Path)}">
            <input type="hidden" name="token" value="{HtmlPage.Encode(token)}">
            {password}
            <button type="submit">Verify my email</button>
            </form>
            """;
    }

    private static string PasswordErrorText(string code) => code == FieldErrors.Mismatch
        ? "That is not the password of the signup this link belongs to."
        : "Enter the password you signed up with.";
}
