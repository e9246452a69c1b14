using Dapper;
using Npgsql;

namespace AuthService.Accounts;

public enum VerifyOutcome { Verified, InvalidToken, PasswordRequired }
