using AuthService.Http;

namespace AuthService.Import;

/// <summary>The body of <c>POST /admin/users/import</c>: up to <see cref="UserImporter.MaxBatch"/> users.</summary>
public sealed record ImportUsersRequest(ImportUser[]? Users) : JsonRequest;
