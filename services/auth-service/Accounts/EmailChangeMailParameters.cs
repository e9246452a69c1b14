using AuthService.Email;

namespace AuthService.Accounts;

/// <summary>The address the change is from, which <see cref="EmailChangeMail"/> names in the mail to the new one.</summary>
public sealed record EmailChangeMailParameters(string From) : OutboxParameters;
