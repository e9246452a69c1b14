using System.Text;

namespace AuthService.Passwords;

/// <summary>
/// Passwords are checked and hashed after NFKC (SP 800-63B). .NET normalizes through ICU; in
/// globalization-invariant mode (InvariantGlobalization, or DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
/// in the environment) <see cref="string.Normalize(NormalizationForm)"/> silently leaves non-ASCII
/// text as it is: "é" typed as e + U+0301 stops matching the precomposed password, and fullwidth
/// spellings of common passwords pass the list. The service refuses to start that way. (Without
/// ICU and not invariant, the runtime itself aborts at startup: "Couldn't find a valid ICU package".)
/// </summary>
public static class UnicodeNormalization
{
    /// <summary>True when NFKC composes and folds compatibility characters, as ICU does.</summary>
    public static bool Works =>
        "e\u0301".Normalize(NormalizationForm.FormKC) == "\u00e9"
        && "\uff11\uff51".Normalize(NormalizationForm.FormKC) == "1q";

    public static void EnsureWorks()
    {
        if (!Works)
            throw new InvalidOperationException(
                "Unicode normalization (NFKC) does not work in this process, so passwords would not be normalized: " +
                "it runs in globalization-invariant mode. Unset DOTNET_SYSTEM_GLOBALIZATION_INVARIANT (and do not build with " +
                "InvariantGlobalization=true), and make sure ICU (libicu) is installed.");
    }
}
