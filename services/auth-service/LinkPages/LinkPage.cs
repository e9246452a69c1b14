using AuthService.Http;
using AuthService.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AuthService.LinkPages;

/// <summary>What the link pages share: their posted form (read up front, so a body that is not a form gets a problem), their failure page.</summary>
internal static class LinkPage
{
    /// <summary>
    /// Refuses a post another site's page made (the browser's <c>Sec-Fetch-Site</c>; the token is the real guard,
    /// this keeps other sites from driving the pages at all), then a body that is not a well-formed form.
    /// </summary>
    public static async ValueTask<object?> ReadAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (request.Headers["Sec-Fetch-Site"] is { Count: > 0 } site && site != "same-origin")
            return Problems.Create(403, ErrorCodes.CsrfFailed, "The form was posted from another site");
        if (!request.HasFormContentType)
            return Problems.Create(415, ErrorCodes.UnsupportedMediaType, "The body must be a form (application/x-www-form-urlencoded)");
        try
        {
            await request.ReadFormAsync(context.HttpContext.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return Problems.Create(400, ErrorCodes.MalformedRequest, "The form could not be read");
        }
        return await next(context);
    }

    /// <summary>The field's value when the form has it exactly once; a repeated field counts as missing.</summary>
    public static string? Field(HttpRequest request, string name) =>
        request.Form.TryGetValue(name, out var values) && values.Count == 1 ? values[0] : null;

    /// <summary>The form's action: this page's path under the app's base path.</summary>
    public static string Action(HttpContext http, string path) => HtmlPage.Encode(http.Request.PathBase.Add(path).ToUriComponent());

    /// <summary>The link's token: the <c>token</c> query parameter when it is there exactly once.</summary>
    public static string? LinkToken(HttpRequest request) => request.Query["token"] is { Count: 1 } token ? token[0] : null;

    /// <summary>The error codes a validation problem gives for <paramref name="field"/>; empty for any other answer.</summary>
    public static string[] ErrorsFor(IResult answer, string field) =>
        answer is ProblemHttpResult { ProblemDetails: ProblemDetails problem }
        && problem.Extensions.TryGetValue("errors", out var errors) && errors is IDictionary<string, string[]> byField
        && byField.TryGetValue(field, out var codes) ? codes : [];

    /// <summary>
    /// The token, and the account's address as the username a password manager files the new password under
    /// (hidden, not a field the service reads).
    /// </summary>
    public static string HiddenFields(string token, string email) => $"""
        <input type="hidden" name="token" value="{HtmlPage.Encode(token)}">
        <input type="email" name="username" value="{HtmlPage.Encode(email)}" autocomplete="username" hidden readonly>
        """;

    /// <summary>A password input described by its hint and, when refused, by each refusal; marked invalid then.</summary>
    public static string PasswordInput(string name, string autocomplete, string hintId, string[] errors)
    {
        var invalid = errors.Length > 0;
        var describedBy = invalid ? $"{hintId} {name}-errors" : hintId;
        var messages = string.Concat(errors.Select(e => $"""<p class="error">{HtmlPage.Encode(e)}</p>"""));
        return $"""
            <input id="{name}" name="{name}" type="password" autocomplete="{autocomplete}" required autofocus aria-describedby="{describedBy}"{(invalid ? " aria-invalid=\"true\"" : "")}>
            {(invalid ? $"<div id=\"{name}-errors\">{messages}</div>" : "")}
            """;
    }

    /// <summary>The page for a link without its token (cut off when it was copied).</summary>
    public static IResult Incomplete(HttpContext http) =>
        Broken(http, "This link is incomplete. Open the whole link from the email, or paste all of it into the address bar.");

    /// <summary>The page for a link that cannot be used: 400, and what to do instead.</summary>
    public static IResult Broken(HttpContext http, string message) => HtmlPage.Render(http, "Link not valid", $"""
        <h1>This link does not work</h1>
        <p class="error" role="alert">{HtmlPage.Encode(message)}</p>
        """, StatusCodes.Status400BadRequest);
}
