namespace AuthService.Options;

public sealed class DevEndpointsOptions
{
    public const string Section = "DevEndpoints";
    public bool Enabled { get; set; }
}
