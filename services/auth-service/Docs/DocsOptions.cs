namespace AuthService.Docs;

/// <summary><c>Docs:Enabled</c>: the browsable API reference at /docs. Defaults to on in Development, off elsewhere.</summary>
public sealed class DocsOptions
{
    public const string Section = "Docs";
    public bool Enabled { get; set; }
}
