using AuthService.Http;

namespace AuthService.Tests.Http;

/// <summary>HeaderText.Clean: printable ASCII within the bound passes untouched; everything else is cleaned and cut.</summary>
public sealed class HeaderTextTests
{
    [Theory]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0")]
    [InlineData(" ~")]
    [InlineData("")]
    public void PrintableAscii_WithinTheBound_IsKeptAsItIs(string agent) =>
        Assert.Same(agent, HeaderText.Clean(agent, HeaderText.MaxUserAgentLength));

    [Theory]
    [InlineData("tab\there", "tab\uFFFDhere")]
    [InlineData("del\u007f", "del\uFFFD")]
    [InlineData("new\r\nline", "new\uFFFD\uFFFDline")]
    [InlineData("café 😀", "café 😀")]
    [InlineData("bidi\u202Eevil", "bidi\uFFFDevil")]
    public void OtherText_IsCleaned(string agent, string expected) =>
        Assert.Equal(expected, HeaderText.Clean(agent, HeaderText.MaxUserAgentLength));

    [Fact]
    public void OverlongAscii_IsCutAtTheBound()
    {
        var cleaned = HeaderText.Clean(new string('a', 600), HeaderText.MaxUserAgentLength)!;
        Assert.Equal(new string('a', HeaderText.MaxUserAgentLength), cleaned);
    }

    [Fact]
    public void ASurrogatePairAtTheBound_IsNotSplit()
    {
        var cleaned = HeaderText.Clean(new string('a', 511) + "😀", HeaderText.MaxUserAgentLength)!;
        Assert.Equal(new string('a', 511), cleaned);
    }

    [Fact]
    public void ALoneSurrogate_BecomesTheReplacementCharacter() =>
        Assert.Equal("a\uFFFDb", HeaderText.Clean("a" + (char)0xD800 + "b", HeaderText.MaxUserAgentLength));
}
