namespace AuthService.Sessions;

/// <summary>How a bearer check's lookup in the <see cref="SessionCache"/> went.</summary>
internal enum SessionCacheLookup
{
    /// <summary>Answered from memory, no database round trip.</summary>
    Hit,

    /// <summary>Not cached, or past its cached expiry: read from the database, then cached.</summary>
    Miss,

    /// <summary>The cache is off or its listener is not connected: read from the database, as without a cache.</summary>
    Bypass,
}
