using QRCoder;

namespace AuthService.Mfa;

/// <summary>What an authenticator app scans: the <c>otpauth://</c> URI (Key Uri Format) and its QR code as SVG.</summary>
internal static class TotpEnrollment
{
    public static string OtpAuthUri(string issuer, string email, string base32Secret)
    {
        var label = Uri.EscapeDataString(issuer) + ":" + Uri.EscapeDataString(email);
        return $"otpauth://totp/{label}?secret={base32Secret}&issuer={Uri.EscapeDataString(issuer)}" +
            $"&algorithm=SHA1&digits={TotpCodes.Digits}&period={TotpCodes.StepSeconds}";
    }

    /// <summary>Plain SVG drawn by QRCoder's own writer: no System.Drawing, so it works on Linux.</summary>
    public static string QrSvg(string uri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        using var svg = new SvgQRCode(data);
        return svg.GetGraphic(4, "#000000", "#ffffff", drawQuietZones: true, SvgQRCode.SizingMode.ViewBoxAttribute);
    }
}
