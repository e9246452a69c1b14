namespace AuthService.Admin;

/// <summary>One page of GET /admin/users: newest first; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record AdminUserPage(IReadOnlyList<AdminUserResponse> Items, string? NextCursor);
