namespace AuthService.Accounts;

public enum VerifyOutcome { Verified, InvalidToken, PasswordRequired }
