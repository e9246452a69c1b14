#!/usr/bin/env bash
# The base images the project's Dockerfile and docker-compose.yml name, made available to the local
# Docker engine. An image already present is kept; one that `docker pull` brings is used as it is; one
# that cannot be pulled (no registry reachable, as on air-gapped machines) is built as a STAND-IN under
# the same name from Debian packages (debootstrap of this machine's Debian release) and this machine's
# .NET, trusting this machine's certificate authorities. Stand-ins carry the label dev.auth-service.stand-in;
# this script lists them at the end. The Dockerfile and compose file are not changed by any of this.
#
#   container-images.sh            base images for the Dockerfile, Compose and the tests
#   container-images.sh --list     only say which of them are present, and which are stand-ins
set -euo pipefail
cd "$(dirname "$0")/standin"

RUNTIME_DEPS=mcr.microsoft.com/dotnet/runtime-deps:10.0
ASPNET=mcr.microsoft.com/dotnet/aspnet:10.0
SDK=mcr.microsoft.com/dotnet/sdk:10.0
POSTGRES=postgres:15
BASE=auth-service-standin/debian:bookworm
SMTP_CATCHER=auth-service-standin/smtp-catcher:latest
DOTNET_ROOT="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"
STANDIN_LABEL=dev.auth-service.stand-in

present() { docker image inspect "$1" >/dev/null 2>&1; }
standin_of() { docker image inspect --format "{{ index .Config.Labels \"$STANDIN_LABEL\" }}" "$1" 2>/dev/null || true; }

# A pull that cannot reach its registry fails within seconds here; the timeout covers a registry that hangs.
pulled() {
  present "$1" && return 0
  echo "pulling $1" >&2
  timeout 60 docker pull -q "$1" >/dev/null 2>&1
}

list() {
  for image in "$RUNTIME_DEPS" "$SDK" "$POSTGRES" "$SMTP_CATCHER"; do
    if ! present "$image"; then echo "  $image: missing"
    elif [ -n "$(standin_of "$image")" ]; then echo "  $image: STAND-IN ($(standin_of "$image")), not the official image"
    else echo "  $image: official"
    fi
  done
}

if [ "${1:-}" = --list ]; then list; exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

base() {
  present "$BASE" && return 0
  command -v debootstrap >/dev/null || { echo "Installing: debootstrap" >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  . /etc/os-release
  local mirror root
  mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
  root="$work/rootfs"
  echo "debootstrap $VERSION_CODENAME (${mirror:-http://deb.debian.org/debian})" >&2
  debootstrap --variant=minbase "$VERSION_CODENAME" "$root" "${mirror:-http://deb.debian.org/debian}" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # This machine's apt settings and sources (security updates included), as the image's own.
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null && rm -f "$root/etc/apt/sources.list"
  cp /etc/apt/apt.conf.d/99artifact-registry "$root/etc/apt/apt.conf.d/" 2>/dev/null || true
  printf 'APT::Install-Recommends "false";\n' > "$root/etc/apt/apt.conf.d/00-no-recommends"
  # As Debian's official images: downloaded packages are removed once installed, so no layer keeps them.
  cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import --change 'CMD ["bash"]' --change "LABEL $STANDIN_LABEL=debian-12" - "$BASE" >/dev/null
  rm -rf "$root"
}

# A build context holding the machine's certificate authorities and part of its .NET installation.
context() {
  local dir="$work/$1"; shift
  mkdir -p "$dir/ca-certificates" "$dir/dotnet"
  cp /usr/local/share/ca-certificates/*.crt "$dir/ca-certificates/" 2>/dev/null || true
  for part in "$@"; do cp -a "$DOTNET_ROOT/$part" "$dir/dotnet/"; done
  echo "$dir"
}

build() { # image dockerfile context
  echo "building stand-in $1" >&2
  docker build -q -t "$1" -f "$2" "$3" >/dev/null
}

if ! pulled "$RUNTIME_DEPS"; then
  base
  build "$RUNTIME_DEPS" runtime-deps.Dockerfile "$(context runtime-deps)"
fi
if ! pulled "$SDK"; then
  # The SDK stand-in is built as the official one is layered: runtime-deps, then the ASP.NET runtime, then the SDK.
  present "$ASPNET" || build "$ASPNET" aspnet.Dockerfile "$(context aspnet dotnet host shared LICENSE.txt ThirdPartyNotices.txt)"
  build "$SDK" sdk.Dockerfile "$(context sdk sdk sdk-manifests packs templates)"
fi
if ! pulled "$POSTGRES"; then
  base
  mkdir -p "$work/postgres" && cp postgres-entrypoint.sh "$work/postgres/"
  build "$POSTGRES" postgres.Dockerfile "$work/postgres"
fi
if ! present "$SMTP_CATCHER"; then
  base
  mkdir -p "$work/smtp"
  build "$SMTP_CATCHER" smtp-catcher.Dockerfile "$work/smtp"
fi
echo "Base images:" >&2
list >&2
