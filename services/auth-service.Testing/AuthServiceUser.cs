namespace AuthService.Testing;

/// <summary>A user whose email is verified, as <see cref="AuthServiceContainer.CreateVerifiedUserAsync" /> created it.</summary>
/// <param name="Id">The user's id: the <c>sub</c> claim of its access tokens.</param>
/// <param name="Email">The email address, normalized as the service stores it.</param>
/// <param name="Password">The password to sign in with.</param>
public sealed record AuthServiceUser(Guid Id, string Email, string Password);
