using System.Buffers;
using System.Globalization;
using System.Text;

namespace AuthService.Http;

/// <summary>
/// Makes text taken from a request header safe to store or log: valid Unicode (a lone surrogate
/// would make Npgsql's strict UTF-8 encoder throw, turning a signin, refresh or logout into a 500
/// that skips its bookkeeping), no control or format characters (log injection, bidi spoofing in
/// an audit view), and bounded without ever cutting a character in half.
/// </summary>
public static class HeaderText
{
    public const int MaxUserAgentLength = 512;
    public const int MaxLoggedLength = 256;

    /// <summary>
    /// <paramref name="value"/> with every lone surrogate and every control, format, separator,
    /// private-use or unassigned code point replaced by U+FFFD, cut to at most
    /// <paramref name="maxLength"/> UTF-16 units at a code-point boundary; null stays null.
    /// </summary>
    public static string? Clean(string? value, int maxLength)
    {
        if (value is null) return null;
        // The common case, on every refresh and signin: printable ASCII within the bound, kept as it is.
        if (value.Length <= maxLength && !value.AsSpan().ContainsAnyExceptInRange(' ', '~')) return value;

        var text = new StringBuilder(Math.Min(value.Length, maxLength));
        Span<char> units = stackalloc char[2];
        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf16(rest, out var rune, out var consumed);
            if (status != OperationStatus.Done || !IsPlain(rune)) rune = Rune.ReplacementChar;
            if (text.Length + rune.Utf16SequenceLength > maxLength) break;
            text.Append(units[..rune.EncodeToUtf16(units)]);
            rest = rest[consumed..];
        }
        return text.ToString();
    }

    private static bool IsPlain(Rune rune) => Rune.GetUnicodeCategory(rune) is not (
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned);
}
