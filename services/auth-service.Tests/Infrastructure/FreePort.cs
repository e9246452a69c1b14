using System.Net;
using System.Net.Sockets;

namespace AuthService.Tests.Infrastructure;

/// <summary>The one free-port helper: the OS picks a free loopback port (bind to port 0), which is then released for the caller.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
