using AuthService.Shared;

namespace AuthService.Tests.Accounts;

/// <summary>API.md: trimmed, lower-cased, at most 254 characters, one @, a dotted domain.</summary>
public sealed class EmailAddressTests
{
    [Theory]
    [InlineData("  Alice@Example.COM  ", "alice@example.com")]
    [InlineData("ALICE@EXAMPLE.COM", "alice@example.com")]
    [InlineData("alice@example.com", "alice@example.com")]
    [InlineData("\talice@example.com\n", "alice@example.com")]
    public void Normalize_TrimsAndLowercases(string raw, string expected)
    {
        Assert.Equal(expected, EmailAddress.Normalize(raw));
    }

    [Theory]
    [InlineData("alice+newsletter@example.com")]
    [InlineData("alice@mail.eu.example.com")]
    [InlineData("first.last@sub.example.co.uk")]
    [InlineData("a_b-c@ex-ample.io")]
    public void Normalize_AcceptsPlusAddressingAndSubdomains(string email)
    {
        Assert.Equal(email, EmailAddress.Normalize(email));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("aliceexample.com")] // no @
    [InlineData("alice@bob@example.com")] // two @
    [InlineData("@example.com")] // empty local part
    [InlineData("alice@")] // empty domain
    [InlineData("alice@localhost")] // undotted domain
    [InlineData("alice@.example.com")]
    [InlineData("alice@example..com")]
    [InlineData("ali ce@example.com")] // whitespace inside
    [InlineData("alice@exa mple.com")]
    [InlineData("alice\t@example.com")]
    [InlineData("alice@example.com\u00A0x")] // no-break space inside
    public void Normalize_RejectsInvalidAddresses(string? raw)
    {
        Assert.Null(EmailAddress.Normalize(raw));
    }

    private static string AddressOfLength(int length)
    {
        var local = new string('a', 64);
        var domain = string.Join('.', new string('x', 61), new string('y', 61), new string('z', 61), "abc");
        Assert.Equal(254, local.Length + 1 + domain.Length);
        return length == 254 ? $"{local}@{domain}" : $"{local}@{domain}{new string('d', length - 254)}";
    }

    [Fact]
    public void Normalize_Accepts254Characters()
    {
        var email = AddressOfLength(254);
        Assert.Equal(email, EmailAddress.Normalize(email));
        Assert.Equal(email, EmailAddress.Normalize($"  {email.ToUpperInvariant()}  ")); // trimming comes first
    }

    [Fact]
    public void Normalize_RejectsMoreThan254Characters()
    {
        Assert.Null(EmailAddress.Normalize(AddressOfLength(255)));
        Assert.Null(EmailAddress.Normalize(AddressOfLength(300)));
    }
}
