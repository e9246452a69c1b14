using System.Text.Encodings.Web;

namespace AuthService.Email;

/// <summary>The service's emails: a plain-text and an HTML body each; HTML escapes everything it interpolates.</summary>
public sealed class EmailTemplates(string productName, string appBaseUrl, TimeSpan verifyLifetime, TimeSpan resetLifetime)
{
    public EmailTemplates(string productName, string appBaseUrl)
        : this(productName, appBaseUrl, TimeSpan.FromHours(24), TimeSpan.FromHours(1)) { }

    public EmailMessage VerifyEmail(string to, string token) => ActionEmail(to,
        $"Verify your email for {productName}",
        "Confirm that this address belongs to you to finish creating your account.",
        "Verify email", Link("verify-email", token),
        $"The link is valid for {Describe(verifyLifetime)}. If you did not sign up, ignore this email.");

    public EmailMessage SignupAttemptOnExistingAccount(string to) => Notice(to,
        $"Someone tried to sign up to {productName} with your email",
        "Somebody tried to create an account with this address, which already has one. " +
        "If it was you, sign in instead or reset your password. If not, you can ignore this email: nothing has changed.");

    public EmailMessage ResetPassword(string to, string token) => ActionEmail(to,
        $"Reset your {productName} password",
        "Somebody asked to reset the password of the account with this address.",
        "Choose a new password", Link("reset-password", token),
        $"The link is valid for {Describe(resetLifetime)} and can be used once. If you did not ask for it, ignore this email.");

    /// <summary>An admin created the account without a password: the link is a reset link that sets the first one.</summary>
    public EmailMessage Invitation(string to, string token, TimeSpan lifetime) => ActionEmail(to,
        $"You are invited to {productName}",
        $"An administrator created a {productName} account for this address.",
        "Choose your password", Link("reset-password", token),
        $"The link is valid for {(lifetime.TotalDays >= 1 && lifetime.TotalDays % 1 == 0 ? Plural((int)lifetime.TotalDays, "day") : Describe(lifetime))} " +
        "and can be used once. If you did not expect it, ignore this email.");

    public EmailMessage PasswordChanged(string to) => Notice(to,
        $"Your {productName} password was changed",
        "The password of your account was just changed and your other sessions were signed out. " +
        "If this was not you, reset your password now.");

    public EmailMessage ConfirmEmailChange(string to, string token) => ActionEmail(to,
        $"Confirm your new email for {productName}",
        "Somebody signed in to an account asked to use this address for it from now on.",
        "Confirm the new address", Link("confirm-email-change", token),
        "The link is valid for 1 hour and can be used once. If you did not ask for it, ignore this email.");

    public EmailMessage EmailChangeRequested(string to) => Notice(to,
        $"A change of your {productName} email was requested",
        "Somebody signed in to your account asked to move it to another email address. Nothing changes until the link " +
        "mailed to the new address is followed. If this was not you, change your password now.");

    public EmailMessage EmailChangeOnTakenAddress(string to) => Notice(to,
        $"Someone tried to move a {productName} account to your email",
        "Somebody signed in to another account asked to use this address, which already has an account. " +
        "Nothing has changed; you can ignore this email.");

    public EmailMessage EmailChanged(string to) => Notice(to,
        $"Your {productName} email was changed",
        "Your account now uses a new email address and all its sessions were signed out. " +
        "If this was not you, contact support.");

    public EmailMessage AccountDeleted(string to) => Notice(to,
        $"Your {productName} account was deleted",
        "Your account and its data were deleted and every session was signed out. You can sign up again with this address " +
        "at any time. If this was not you, contact support.");

    public EmailMessage SessionRevokedForReuse(string to, string? device, string? ip) => Notice(to,
        $"We signed out one of your {productName} sessions",
        $"A sign-in token of your session on \"{device ?? "an unknown device"}\" (IP {ip ?? "unknown"}) was used twice, " +
        "which can mean it was copied. We signed that session out. If this keeps happening, change your password.");

    public EmailMessage PasskeyAdded(string to) => Notice(to,
        $"A passkey was added to your {productName} account",
        "A new passkey can now sign in to your account without a password. If this was not you, remove it from your " +
        "passkey list and change your password now.");

    public EmailMessage PasskeyRemoved(string to) => Notice(to,
        $"A passkey was removed from your {productName} account",
        "One of your passkeys was removed and can no longer sign in to your account. If this was not you, change your password now.");
    public EmailMessage TotpEnabled(string to) => Notice(to,
        $"Two-step verification is on for your {productName} account",
        "An authenticator app now guards your account: signing in asks for its code after the password. Keep your " +
        "recovery codes somewhere safe. If this was not you, reset your password and contact support.");

    public EmailMessage TotpDisabled(string to) => Notice(to,
        $"Two-step verification is off for your {productName} account",
        "Your account no longer asks for an authenticator code, and its recovery codes no longer work. " +
        "If this was not you, reset your password and contact support now.");

    public EmailMessage RecoveryCodesRegenerated(string to) => Notice(to,
        $"New recovery codes for your {productName} account",
        "Your account has a new set of recovery codes; the previous ones no longer work. " +
        "If this was not you, reset your password and contact support now.");

    public EmailMessage SecondFactorsReset(string to) => Notice(to,
        $"The second factors of your {productName} account were removed",
        "An administrator removed your account's authenticator app, recovery codes and passkeys, as asked for a lost device. " +
        "Signing in needs only your password until you set up a second factor again. If you did not ask for this, contact support now.");

    /// <summary>"24 hours", "1 hour", "90 minutes".</summary>
    internal static string Describe(TimeSpan lifetime) => lifetime.TotalHours % 1 == 0
        ? Plural((int)lifetime.TotalHours, "hour")
        : Plural((int)Math.Ceiling(lifetime.TotalMinutes), "minute");

    private static string Plural(int count, string unit) => count == 1 ? $"1 {unit}" : $"{count} {unit}s";

    private string Link(string page, string token) => $"{appBaseUrl.TrimEnd('/')}/{page}?token={Uri.EscapeDataString(token)}";

    private EmailMessage ActionEmail(string to, string subject, string intro, string action, string link, string outro)
    {
        var text = $"{intro}\n\n{action}: {link}\n\n{outro}\n\n— {productName}\n";
        var html = Page(subject, $"""
            <p>{H(intro)}</p>
            <p><a href="{H(link)}">{H(action)}</a></p>
            <p>Or paste this link into your browser: {H(link)}</p>
            <p>{H(outro)}</p>
            """);
        return new EmailMessage(to, subject, text, html);
    }

    private EmailMessage Notice(string to, string subject, string body) =>
        new(to, subject, $"{body}\n\n— {productName}\n", Page(subject, $"<p>{H(body)}</p>"));

    private string Page(string title, string body) => $"""
        <!doctype html>
        <html><head><meta charset="utf-8"><title>{H(title)}</title></head>
        <body>
        {body}
        <p>— {H(productName)}</p>
        </body></html>
        """;

    private static string H(string value) => HtmlEncoder.Default.Encode(value);
}
