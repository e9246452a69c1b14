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

    // A subdivision flag's tag spec is a short region code (🏴 + "gbsct" + cancel tag): lower-case
    // letters and digits, a handful of them. Anything longer is hidden text riding on a flag.
    private const int MaxFlagTags = 6;

    /// <summary>True when <paramref name="text"/> is well-formed and has no hidden characters (emails).</summary>
    public static bool IsVisible(string text) =>
        TryDecode(text, out var runes) && !runes.Any(IsHidden);

    /// <summary>
    /// Like <see cref="IsVisible"/>, but allows the invisible parts of emoji sequences: U+200D between
    /// two emoji (👩‍💻), U+FE0E/U+FE0F right after a character that has an emoji form (❤️, 1️⃣, ‼️;
    /// never after a letter, where it would only hide inside a word), and up to six tag letters or
    /// digits after U+1F3F4 ended by U+E007F (🏴󠁧󠁢󠁳󠁣󠁴󠁿).
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
                if (tags < 0 || tags == MaxFlagTags || rune.Value is not (>= 0xE0030 and <= 0xE0039 or >= 0xE0061 and <= 0xE007A)) return false;
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
                0xFE0E or 0xFE0F => i > 0 && HasEmojiForm(runes[i - 1]),
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

    // .NET exposes no Emoji property: "other symbol" stands in for an emoji, which covers the people,
    // objects and signs ZWJ sequences are made of.
    private static bool IsEmoji(Rune rune) => Rune.GetUnicodeCategory(rune) == UnicodeCategory.OtherSymbol;

    /// <summary>What a variation selector may follow: symbols (❤, ↔, ©), keycap bases (0–9, #, *) and ‼ ⁉ 〽.</summary>
    private static bool HasEmojiForm(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.OtherSymbol or UnicodeCategory.MathSymbol
        || rune.Value is >= '0' and <= '9' or '#' or '*' or 0x203C or 0x2049 or 0x303D;

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
