using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Passwords;

internal sealed record Credentials(UserResponse User, string PasswordHash);
