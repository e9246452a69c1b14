using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Accounts;

public sealed record ResetTarget(Guid UserId, string Email);
