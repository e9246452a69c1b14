namespace AuthService.Shared;

/// <summary>The values of <c>email_tokens.purpose</c>: which flow an emailed link belongs to.</summary>
public static class EmailTokenPurposes
{
    public const string Verify = "verify";
    public const string Reset = "reset";
    public const string EmailChange = "email_change";
}
