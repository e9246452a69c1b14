using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Sessions;

/// <summary>Service with Auth:RefreshLockTimeout = 30 s, so a test may hold sessions locked for a while on a busy machine.</summary>
public sealed class LongLockTimeoutFixture() : SettingsFixture(new Dictionary<string, string?> { ["Auth:RefreshLockTimeout"] = "00:00:30" });
