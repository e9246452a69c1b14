using System.Diagnostics.Metrics;
using AuthService.Sessions;

namespace AuthService.Telemetry;

/// <summary>
/// The service's own meter, <c>AuthService</c>: what happened to signins, refreshes, signups, resets,
/// lockouts, the hashing queue and mail delivery. Attributes are low-cardinality outcomes only: never an
/// email, password, token, address or user id. The gauges of state kept elsewhere are in <see cref="StateGauges"/>.
/// </summary>
public sealed class AuthMetrics
{
    public const string MeterName = "AuthService";

    public const string SigninSucceeded = "succeeded";
    public const string SigninInvalidCredentials = "invalid_credentials";
    public const string SigninLocked = "locked";
    public const string SigninNotVerified = "not_verified";
    public const string SigninDisabled = "disabled";
    /// <summary>A passwordless signin with a passkey (its failures count as <see cref="SigninInvalidCredentials"/>).</summary>
    public const string SigninPasskey = "passkey";
    /// <summary>The password was right and TOTP is on: the answer asks for the second factor.</summary>
    public const string SigninMfaRequired = "mfa_required";
    /// <summary>The second step of a signin got a wrong, replayed or expired code or MFA token.</summary>
    public const string SigninMfaFailed = "mfa_failed";

    private static readonly string[] SigninOutcomes = [SigninSucceeded, SigninInvalidCredentials, SigninLocked, SigninNotVerified, SigninDisabled,
        SigninPasskey, SigninMfaRequired, SigninMfaFailed];
    private static readonly string[] RefreshOutcomes = ["rotated", "grace", "reused", "invalid", "conflict"];
    private static readonly string[] SessionCacheOutcomes = ["hit", "miss", "bypass"];
    private static readonly string[] SessionCacheScopes = ["users", "all"];

    private readonly Counter<long> signins;
    private readonly Counter<long> refreshes;
    private readonly Counter<long> signups;
    private readonly Counter<long> passwordResets;
    private readonly Counter<long> lockouts;
    private readonly Counter<long> emailSendFailures;
    private readonly UpDownCounter<long> hashQueueDepth;
    private readonly Counter<long> sessionCacheLookups;
    private readonly Counter<long> sessionCacheInvalidations;
    private readonly UpDownCounter<long> changeListenerConnected;
    private readonly Histogram<double> hashWaitTime;
    private readonly Histogram<double> hashDuration;
    private readonly Histogram<int> refreshBatchSize;

    public AuthMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        signins = meter.CreateCounter<long>("auth.signin.attempts", "{attempt}", "Signins that reached a verdict, by outcome.");
        refreshes = meter.CreateCounter<long>("auth.refresh.attempts", "{attempt}", "Refreshes of a presented refresh token, by outcome.");
        signups = meter.CreateCounter<long>("auth.signups", "{signup}", "Accepted signups (202), new and taken addresses alike.");
        passwordResets = meter.CreateCounter<long>("auth.password.resets", "{reset}", "Passwords replaced through a reset link.");
        lockouts = meter.CreateCounter<long>("auth.lockouts.started", "{lockout}", "Emails locked after too many password checks.");
        emailSendFailures = meter.CreateCounter<long>("auth.email.send.failures", "{failure}", "Outbox deliveries that failed (after the in-process retries); the row backs off and is retried.");
        hashQueueDepth = meter.CreateUpDownCounter<long>("auth.password.hash.queue.depth", "{request}", "Password hashes waiting for a hashing slot.");
        sessionCacheLookups = meter.CreateCounter<long>("auth.session_cache.lookups", "{lookup}",
            "Bearer checks by how their session was found: hit (in memory), miss (read from the database and cached), bypass (the cache is off or its listener is not connected).");
        sessionCacheInvalidations = meter.CreateCounter<long>("auth.session_cache.invalidations", "{invalidation}",
            "Drops from the session cache, by scope: users (a change notification naming them) or all (a state-changing request here, or a notification too large to name them).");
        changeListenerConnected = meter.CreateUpDownCounter<long>("auth.change_listener.connected", "{connection}",
            "1 while the listener of change notifications is connected (the session cache is in use), 0 while it is not (every bearer check reads the database).");
        hashWaitTime = meter.CreateHistogram("auth.password.hash.wait_time", "s", "Time a password hash waited for a slot (up to Auth:Password:HashQueueTimeout, then 503).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        hashDuration = meter.CreateHistogram("auth.password.hash.duration", "s", "Time one password hash or verification took once it had a slot.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2] });
        refreshBatchSize = meter.CreateHistogram("auth.refresh.batch.size", "{refresh}",
            "Refreshes rotated together in one database call (Sessions/RefreshRotationBatcher): 1 when idle, larger under load.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
    }

    /// <summary>
    /// Records a zero in every counter series, so each exists from the first scrape and rate() and
    /// increase() see the first event of each outcome. Called once the exporters listen (StateGauges):
    /// a measurement taken before the meter provider is built is lost.
    /// </summary>
    public void OpenSeries()
    {
        foreach (var outcome in SigninOutcomes) signins.Add(0, Outcome(outcome));
        foreach (var outcome in RefreshOutcomes) refreshes.Add(0, Outcome(outcome));
        signups.Add(0);
        passwordResets.Add(0);
        lockouts.Add(0);
        emailSendFailures.Add(0);
        hashQueueDepth.Add(0);
        foreach (var outcome in SessionCacheOutcomes) sessionCacheLookups.Add(0, Outcome(outcome));
        foreach (var scope in SessionCacheScopes) sessionCacheInvalidations.Add(0, new KeyValuePair<string, object?>("scope", scope));
        changeListenerConnected.Add(0);
    }

    /// <summary>One of the <c>Signin*</c> outcomes above.</summary>
    public void Signin(string outcome) => signins.Add(1, Outcome(outcome));

    public void Refresh(RefreshResult result) => refreshes.Add(1, Outcome(result switch
    {
        RefreshResult.Rotated => "rotated",
        RefreshResult.Grace => "grace",
        RefreshResult.Reused => "reused",
        RefreshResult.Conflict => "conflict",
        _ => "invalid",
    }));

    public void RefreshBatch(int size) => refreshBatchSize.Record(size);

    public void SignupAccepted() => signups.Add(1);

    public void PasswordReset() => passwordResets.Add(1);

    public void LockoutStarted() => lockouts.Add(1);

    /// <summary>Counted by exception type only: SMTP error texts can quote the recipient's address.</summary>
    public void EmailSendFailed(Exception error) => emailSendFailures.Add(1, new KeyValuePair<string, object?>("error.type", error.GetType().FullName));

    internal void SessionCacheLookedUp(SessionCacheLookup lookup) => sessionCacheLookups.Add(1, Outcome(lookup switch
    {
        SessionCacheLookup.Hit => "hit",
        SessionCacheLookup.Miss => "miss",
        _ => "bypass",
    }));

    /// <summary><c>users</c> or <c>all</c>.</summary>
    public void SessionCacheInvalidated(string scope) => sessionCacheInvalidations.Add(1, new KeyValuePair<string, object?>("scope", scope));

    public void ChangeListenerConnected(bool connected) => changeListenerConnected.Add(connected ? 1 : -1);

    public void HashQueued(int delta) => hashQueueDepth.Add(delta);

    public void HashWaited(string operation, TimeSpan waited) => hashWaitTime.Record(waited.TotalSeconds, Operation(operation));

    public void Hashed(string operation, TimeSpan took) => hashDuration.Record(took.TotalSeconds, Operation(operation));

    private static KeyValuePair<string, object?> Outcome(string outcome) => new("outcome", outcome);

    private static KeyValuePair<string, object?> Operation(string operation) => new("operation", operation);
}
