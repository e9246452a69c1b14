using System.Security.Cryptography;
using AuthService.Data;

namespace AuthService.Tokens;

/// <summary>The key-encryption key rotation's operator command, run instead of the web host against the configured database.</summary>
public static class KeyEncryptionCommands
{
    /// <summary>
    /// <c>rewrap-keys</c>: re-seals every stored secret under the first key of <c>Auth:KeyEncryptionKeys</c>, so the
    /// keys after it can be removed. Returns the exit code: 0 with a one-line summary, 1 naming every row that no
    /// configured key opens (those rows are left as they are; the others are rewrapped all the same).
    /// </summary>
    public static async Task<int> RewrapAsync(IServiceProvider services, TextWriter output, TextWriter error)
    {
        var ct = CancellationToken.None;
        await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct);
        KeyRewrapResult result;
        try
        {
            // A database no replica of this release has started on yet carries its refresh successor key over
            // first: that needs the old key, which may be gone once everything is rewrapped.
            await services.GetRequiredService<RefreshSuccessorKey>().EnsureStoredAsync(ct);
            result = await services.GetRequiredService<KeyRewrap>().RunAsync(ct);
        }
        catch (CryptographicException e)
        {
            await error.WriteLineAsync($"rewrap-keys failed: {e.Message}");
            return 1;
        }

        var total = result.Rewrapped + result.AlreadySealed + result.Unopenable.Count;
        if (result.Unopenable.Count > 0)
        {
            await error.WriteLineAsync(
                $"rewrap-keys failed: none of the configured key-encryption keys ({string.Join(", ", services.GetRequiredService<ServerSecrets>().KeyIds)}) " +
                $"opens {string.Join(", ", result.Unopenable)}; configure the key that sealed it and run rewrap-keys again " +
                $"({result.Rewrapped + result.AlreadySealed} of {total} sealed secrets are under '{result.SealingKeyId}').");
            return 1;
        }
        await output.WriteLineAsync(
            $"rewrap-keys: {total} sealed secrets are under key-encryption key '{result.SealingKeyId}' " +
            $"({result.Rewrapped} rewrapped, {result.AlreadySealed} already were); keys after it in Auth:KeyEncryptionKeys can be removed.");
        return 0;
    }
}
