using AuthService.Accounts;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.LinkPages;

/// <summary>/confirm-email-change?token=…: a button that posts the token to move the account to the new address.</summary>
internal static class ConfirmEmailChangePage
{
    public const string Path = "/confirm-email-change";
    private const string Title = "Confirm your new email";

    /// <summary>Looks the link up (reading only) to show either its button or, at once, that it no longer works.</summary>
    public static async Task<IResult> ShowAsync(HttpContext http, EmailChangeStore store, CancellationToken ct)
    {
        if (LinkPage.LinkToken(http.Request) is not { Length: > 0 } token) return LinkPage.Incomplete(http);
        if (!OpaqueToken.LooksValid(token) || await store.FindNewEmailAsync(token, ct) is not { } newEmail) return Broken(http);
        return HtmlPage.Render(http, Title, $"""
            <h1>{Title}</h1>
            <p>Confirm that your account should use {HtmlPage.Encode(newEmail)} from now on. Every session will be signed out.</p>
            <form method="post" action="{LinkPage.Action(http, Path)}">
            {LinkPage.HiddenFields(token, newEmail)}
            <button type="submit">Use this address</button>
            </form>
            """);
    }

    public static async Task<IResult> SubmitAsync(HttpContext http, EmailChangeStore store, CancellationToken ct)
    {
        var request = new ConfirmEmailChangeRequest(LinkPage.Field(http.Request, "token"));
        var answer = (await EmailChangeEndpoints.Confirm(request, http, store, ct)).Result;
        if (answer is Ok<UserResponse> { Value: { } user })
            return HtmlPage.Render(http, "Email changed", $"""
                <h1>Email changed</h1>
                <p class="done" role="status">Your account now uses {HtmlPage.Encode(user.Email)}. Sign in again with it.</p>
                """);
        return Broken(http);
    }

    private static IResult Broken(HttpContext http) => LinkPage.Broken(http, "This email change link is invalid, used or expired, " +
        "or the address got an account meanwhile. Links expire after an hour, and changing the password replaces them. Ask again from the app.");
}
