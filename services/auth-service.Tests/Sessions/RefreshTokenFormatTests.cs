using System.Buffers.Text;
using System.Security.Cryptography;
using AuthService.Sessions;
using AuthService.Shared;

namespace AuthService.Tests.Sessions;

/// <summary>The cookie's form (session id, then secret): every string parses or is refused, none throws.</summary>
public sealed class RefreshTokenFormatTests
{
    [Fact]
    public void Format_ThenParse_GivesTheSessionAndSecretBack()
    {
        var sessionId = Guid.CreateVersion7();
        var secret = OpaqueToken.New();

        var token = RefreshToken.Format(sessionId, secret);

        Assert.Equal(RefreshToken.Length, token.Length);
        Assert.True(RefreshToken.TryParse(token, out var parsed));
        Assert.Equal(sessionId, parsed.SessionId);
        Assert.Equal(secret, parsed.Secret);
    }

    [Fact]
    public void PreviousReleaseForm_ParsesWithoutASessionId()
    {
        var secret = OpaqueToken.New();

        Assert.True(RefreshToken.TryParse(secret, out var parsed));
        Assert.Null(parsed.SessionId);
        Assert.Equal(secret, parsed.Secret);
    }

    [Fact]
    public void AncestorWalk_ReachesTheNewestWithinTheBound_AndStopsThere()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var chain = new List<string> { OpaqueToken.New() };
        while (chain.Count <= RefreshToken.MaxAncestorSteps + 1) chain.Add(OpaqueToken.Successor(chain[^1], key));
        var oldest = new RefreshToken(Guid.NewGuid(), chain[0]);

        Assert.True(oldest.IsAncestorOf(OpaqueToken.Hash(chain[RefreshToken.MaxAncestorSteps]), RefreshToken.MaxAncestorSteps, key));
        Assert.False(oldest.IsAncestorOf(OpaqueToken.Hash(chain[RefreshToken.MaxAncestorSteps + 1]), RefreshToken.MaxAncestorSteps + 1, key));
        Assert.False(oldest.IsAncestorOf(OpaqueToken.Hash(chain[5]), 4, key)); // never further than the generation says
        Assert.False(new RefreshToken(Guid.NewGuid(), OpaqueToken.New()).IsAncestorOf(OpaqueToken.Hash(chain[5]), 5, key));
        Assert.False(oldest.IsAncestorOf(OpaqueToken.Hash(chain[5]), 5, RandomNumberGenerator.GetBytes(32))); // another key
    }

    [Fact]
    public void AnyString_ParsesOrIsRefused_NeverThrows()
    {
        // Lengths around both forms, drawn from the alphabet, its neighbours, controls, non-ASCII and lone surrogates.
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.!\0\u007f\u00e9\u200b\ud800\udc00 ";
        var rng = new Random(20261127);
        var valid = RefreshToken.Format(Guid.NewGuid(), OpaqueToken.New());
        for (var i = 0; i < 20_000; i++)
        {
            var length = rng.Next(4) switch { 0 => 43, 1 => RefreshToken.Length, 2 => rng.Next(40, 70), _ => rng.Next(0, 200) };
            var chars = Enumerable.Range(0, length).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray();
            if (rng.Next(2) == 0 && length == RefreshToken.Length)
            {
                // One character of a well-formed token replaced.
                chars = valid.ToCharArray();
                chars[rng.Next(chars.Length)] = alphabet[rng.Next(alphabet.Length)];
            }
            var value = new string(chars);

            var parsed = RefreshToken.TryParse(value, out var token);

            if (parsed)
            {
                Assert.True(token.SessionId is null ? Base64Url.IsValid(value) : Base64Url.IsValid(value.AsSpan(0, 22)) && Base64Url.IsValid(token.Secret), value);
                Assert.Equal(43, token.Secret.Length);
            }
        }
    }
}
