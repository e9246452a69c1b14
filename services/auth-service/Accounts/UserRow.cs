using AuthService.Data;

namespace AuthService.Accounts;

#pragma warning disable IDE1006 // snake_case: Dapper maps by column name
/// <summary>The columns of <c>users</c> that make a <see cref="UserResponse"/>; queries alias to these names.</summary>
internal sealed record UserRow(Guid id, string email, bool email_verified, string? display_name, DateTime created_at)
{
    public UserResponse ToResponse() =>
        new(id, email, email_verified, display_name, DbTime.Utc(created_at));
}
#pragma warning restore IDE1006
