namespace AuthService.Sessions;

/// <summary>
/// One password check against an email's budget: admitted as attempt <see cref="Number"/> of the
/// current window, or refused (not checked, not counted) because the email is locked for <see cref="LockedFor"/>.
/// </summary>
public sealed record LockoutAttempt(bool Admitted, int Number, TimeSpan LockedFor);
