using AuthService.Data;

namespace AuthService.Shared;

/// <summary>The columns of <c>users</c> that make a <see cref="UserResponse"/>; queries alias the columns to these names.</summary>
internal sealed record UserRow(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTime CreatedAt)
{
    public UserResponse ToResponse() =>
        new(Id, Email, EmailVerified, DisplayName, DbTime.Utc(CreatedAt));
}
