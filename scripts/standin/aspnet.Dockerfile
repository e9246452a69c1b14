# Stand-in for mcr.microsoft.com/dotnet/aspnet:10.0, built by scripts/container-images.sh only when the
# official image cannot be pulled: the runtime-deps stand-in (runtime-deps.Dockerfile) with this machine's
# .NET runtime and ASP.NET Core shared framework, as the official image is runtime-deps plus those.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
LABEL org.opencontainers.image.title="stand-in for mcr.microsoft.com/dotnet/aspnet:10.0" \
      dev.auth-service.stand-in="debian-12"
