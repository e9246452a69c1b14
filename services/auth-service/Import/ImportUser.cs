using System.Text.Json.Serialization;
using AuthService.Http;

namespace AuthService.Import;

/// <summary>
/// One user to import: a line of the <c>import-users</c> file, or an item of <c>POST /admin/users/import</c>.
/// Only <c>email</c> is required; an unknown member (say <c>password_hash</c>) refuses the row, so a misspelt hash never
/// imports a user without their password; <c>passwordHash</c> is a bcrypt, Argon2id PHC or ASP.NET Core Identity V3 hash.
/// </summary>
public sealed record ImportUser(
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("passwordHash")] string? PasswordHash = null,
    [property: JsonPropertyName("emailVerified")] bool? EmailVerified = null,
    [property: JsonPropertyName("displayName")] string? DisplayName = null,
    [property: JsonPropertyName("roles")] string[]? Roles = null,
    [property: JsonPropertyName("createdAt")] DateTimeOffset? CreatedAt = null) : JsonRequest;
