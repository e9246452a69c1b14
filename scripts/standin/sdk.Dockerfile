# Stand-in for mcr.microsoft.com/dotnet/sdk:10.0 (see aspnet.Dockerfile): the aspnet stand-in plus this
# machine's whole .NET SDK. NuGet checks certificate revocation offline, as on this machine, whose
# registries are reached through a proxy that answers no revocation queries.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
COPY dotnet/ /usr/share/dotnet/
ENV DOTNET_NOLOGO=true \
    DOTNET_CLI_TELEMETRY_OPTOUT=true \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=true \
    NUGET_CERT_REVOCATION_MODE=offline
LABEL org.opencontainers.image.title="stand-in for mcr.microsoft.com/dotnet/sdk:10.0" \
      dev.auth-service.stand-in="debian-12"
