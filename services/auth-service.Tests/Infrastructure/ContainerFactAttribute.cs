namespace AuthService.Tests.Infrastructure;

/// <summary>A fact that needs a Docker engine: skipped, with the reason, when none answers.</summary>
public sealed class ContainerFactAttribute : FactAttribute
{
    public ContainerFactAttribute()
    {
        if (!DockerEngine.IsAvailable) Skip = DockerEngine.SkipReason;
    }
}
