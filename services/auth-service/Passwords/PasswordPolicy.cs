using System.Globalization;
using System.Text;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Passwords;

/// <summary>
/// NIST SP 800-63B rev 4 rules for single-factor passwords: length in code points after NFKC,
/// every printable character allowed, no composition rules, refused when common/breached or
/// when it contains the email's local part.
/// </summary>
public sealed class PasswordPolicy(IOptions<AuthOptions> options)
{
    public const int MaxLength = 128;
    public const string TooShort = "too_short";
    public const string TooLong = "too_long";
    public const string TooCommon = "too_common";
    public const string ContainsEmail = "contains_email";

    private static readonly Lazy<HashSet<string>> CommonPasswords = new(LoadCommonPasswords);

    private readonly int minLength = options.Value.Password.MinLength;

    public static int CommonPasswordCount => CommonPasswords.Value.Count;

    /// <summary>The rule as forms state it; lengths count characters (code points) after NFKC, as <see cref="Check"/> does.</summary>
    public PasswordRules Rules => new(minLength, MaxLength,
        $"At least {minLength} and at most {MaxLength} characters; spaces and any symbols are fine. Not a commonly used password, " +
        "and not containing the part of your email address before the @.");

    /// <summary>What a field error code of a new password means, for a person.</summary>
    public string Explain(string code) => code switch
    {
        TooShort => $"Too short: use at least {minLength} characters.",
        TooLong => $"Too long: use at most {MaxLength} characters.",
        TooCommon => "Too common: this password is in lists of leaked passwords. Choose another.",
        ContainsEmail => "It contains your email address. Choose a password without it.",
        _ => "Enter a new password.",
    };

    /// <summary>The error codes for <paramref name="password"/>; empty when it is acceptable.</summary>
    public List<string> Check(string password, string? normalizedEmail)
    {
        var errors = new List<string>();
        var normalized = password.Normalize(NormalizationForm.FormKC);
        var length = CountCodePoints(normalized);
        if (length < minLength) errors.Add(TooShort);
        if (length > MaxLength) errors.Add(TooLong);
        if (errors.Count > 0) return errors;

        var folded = normalized.ToLowerInvariant();
        if (CommonPasswords.Value.Contains(folded)) errors.Add(TooCommon);

        var localPart = normalizedEmail?.Split('@')[0];
        if (localPart is { Length: >= 4 } && folded.Contains(localPart, StringComparison.Ordinal))
            errors.Add(ContainsEmail);
        return errors;
    }

    private static int CountCodePoints(string value)
    {
        var count = 0;
        foreach (var _ in value.EnumerateRunes()) count++;
        return count;
    }

    private static HashSet<string> LoadCommonPasswords()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("common-passwords.txt")
            ?? throw new InvalidOperationException("common-passwords.txt is not embedded.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) set.Add(line.Normalize(NormalizationForm.FormKC).ToLower(CultureInfo.InvariantCulture));
        return set;
    }
}
