# Stand-in for mcr.microsoft.com/dotnet/runtime-deps:10.0, built by scripts/container-images.sh only when the
# official image cannot be pulled. Debian 12 (the official image is Ubuntu 24.04) with the libraries the official
# image carries for .NET (ICU, OpenSSL, zlib, tzdata), the non-root `app` user with the official UID, and the
# official image's variables.
FROM auth-service-standin/debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libc6 libgcc-s1 libicu72 libssl3 libstdc++6 tzdata zlib1g \
 && rm -rf /var/lib/apt/lists/*
# The machine's certificate authorities (a TLS-inspecting proxy's among them).
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid app --shell /bin/false --create-home app
ENV APP_UID=1654 \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true
LABEL org.opencontainers.image.title="stand-in for mcr.microsoft.com/dotnet/runtime-deps:10.0" \
      dev.auth-service.stand-in="debian-12"
