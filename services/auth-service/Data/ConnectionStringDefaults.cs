using Npgsql;

namespace AuthService.Data;

/// <summary>Connection settings that every data source of the service (the pool, the change listener) shares.</summary>
internal static class ConnectionStringDefaults
{
    /// <summary>
    /// No GSS encryption unless the connection string asks for it: Npgsql's default (Prefer) loads libgssapi_krb5
    /// and probes for Kerberos credentials when it opens a connection, the pool's first one on the path to ready.
    /// </summary>
    public static void WithoutGssProbe(this NpgsqlConnectionStringBuilder builder, string connectionString)
    {
        if (!connectionString.Contains("Gss Encryption Mode", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("GssEncryptionMode", StringComparison.OrdinalIgnoreCase))
            builder.GssEncryptionMode = GssEncryptionMode.Disable;
    }
}
