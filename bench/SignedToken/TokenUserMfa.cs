internal sealed record TokenUserMfa(bool Totp, int Passkeys);
