using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Sessions;

public sealed record NewSession(Guid Id, string RefreshToken, DateTimeOffset ExpiresAt);
