using System.Buffers;
using System.Globalization;
using System.Text;

namespace AuthService.Shared;

/// <summary>
/// What an email address or a display name may contain: text people can see. Control and format
/// characters, zero-width and blank-looking fillers, line separators, private-use, unassigned code
/// points and lone surrogates let "admin" and "adm\u200Bin" look alike, reorder a name on other users'
/// screens (bidi overrides), or break storage. Display names keep the few invisible characters that
/// Unicode emoji sequences (UTS #51) need.
/// </summary>
public static class VisibleText
{
    private const int ZeroWidthJoiner = 0x200D;
    private const int BlackFlag = 0x1F3F4, CancelTag = 0xE007F;

    /// <summary>True when <paramref name="text"/> is well-formed and has no hidden characters (emails).</summary>
    public static bool IsVisible(string text) =>
        TryDecode(text, out var runes) && !runes.Any(IsHidden);

    /// <summary>
    /// Like <see cref="IsVisible"/>, but allows the invisible parts of emoji sequences: U+200D between
    /// two emoji (👩‍💻), U+FE0E/U+FE0F right after a visible character (❤️), and tag characters
    /// U+E0020–U+E007E after U+1F3F4 ended by U+E007F (🏴󠁧󠁢󠁳󠁣󠁴󠁿).
    /// </summary>
    public static bool IsVisibleName(string text)
    {
        if (!TryDecode(text, out var runes)) return false;
        var tags = -1; // tag characters seen since a U+1F3F4; -1 outside a flag's tag sequence
        for (var i = 0; i < runes.Count; i++)
        {
            var rune = runes[i];
            if (rune.Value is >= 0xE0020 and <= 0xE007E)
            {
                if (tags < 0) return false;
                tags++;
                continue;
            }
            if (rune.Value == CancelTag)
            {
                if (tags <= 0) return false;
                tags = -1;
                continue;
            }
            if (tags > 0) return false; // a tag sequence must end with U+E007F
            tags = rune.Value == BlackFlag ? 0 : -1;

            var ok = rune.Value switch
            {
                ZeroWidthJoiner => i > 0 && i + 1 < runes.Count && EndsEmoji(runes[i - 1]) && IsEmoji(runes[i + 1]),
                0xFE0E or 0xFE0F => i > 0 && !IsHidden(runes[i - 1]),
                _ => !IsHidden(rune),
            };
            if (!ok) return false;
        }
        return tags <= 0;
    }

    /// <summary>Invisible, or able to change how the text around it is shown.</summary>
    private static bool IsHidden(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
        || rune.Value is >= 0xFE00 and <= 0xFE0F or >= 0xE0100 and <= 0xE01EF or >= 0x180B and <= 0x180F // variation selectors
        || rune.Value is 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFFA0 or 0x2800; // fillers that render blank

    // Without ICU (invariant globalization) there is no Emoji property: "other symbol" stands in for
    // an emoji, which covers the people, objects and signs ZWJ sequences are made of.
    private static bool IsEmoji(Rune rune) => Rune.GetUnicodeCategory(rune) == UnicodeCategory.OtherSymbol;

    private static bool EndsEmoji(Rune rune) => IsEmoji(rune) || rune.Value is 0xFE0F or >= 0x1F3FB and <= 0x1F3FF; // presentation, skin tone

    private static bool TryDecode(string text, out List<Rune> runes)
    {
        runes = new List<Rune>(text.Length);
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) != OperationStatus.Done) return false; // lone surrogate
            runes.Add(rune);
            rest = rest[consumed..];
        }
        return true;
    }
}
