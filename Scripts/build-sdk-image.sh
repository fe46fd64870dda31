#!/usr/bin/env bash
# Builds a Beam Python SDK harness image for DOCKER environments without any
# registry but Debian's and PyPI: a Debian rootfs (debootstrap) with Python,
# a venv holding apache-beam, and our beam-boot (statically linked) as the
# entrypoint at /opt/apache/beam/boot, where Beam's own images keep theirs.
# Imported with `podman import` (or docker's) and cached: the base layer
# (Debian + Beam) is rebuilt only when its inputs change, the boot layer only
# when beam-boot does.
#
#   Scripts/build-sdk-image.sh [--engine podman|docker] [--beam VERSION] [--suite bookworm]
#
# Prints the image's name as its last line, e.g.
#   localhost/beam-job-server/beam_python3.11_sdk:2.77.0
# Needs root (debootstrap and chroot; sudo is used otherwise) and debootstrap.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ENGINE=podman
BEAM=2.77.0
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
while (( $# )); do
  case "$1" in
    --engine) ENGINE="$2"; shift 2 ;;
    --beam) BEAM="$2"; shift 2 ;;
    --suite) SUITE="$2"; shift 2 ;;
    *) echo "usage: $0 [--engine podman|docker] [--beam VERSION] [--suite DEBIAN_SUITE]" >&2; exit 2 ;;
  esac
done
SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
WORK="$ROOT/.build/sdk-image"
mkdir -p "$WORK"
log() { echo "build-sdk-image: $*" >&2; }

# The base: Debian + Python + apache-beam, keyed by what goes into it.
BASE_KEY="$( { echo "v1 $SUITE $MIRROR $BEAM"; } | sha256sum | cut -c1-16)"
BASE="localhost/beam-job-server/sdk-base:$BASE_KEY"
if ! $ENGINE image inspect "$BASE" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { log "debootstrap is missing (apt-get install debootstrap)"; exit 1; }
  ROOTFS="$WORK/rootfs"
  $SUDO rm -rf "$ROOTFS"
  log "debootstrap $SUITE into $ROOTFS"
  $SUDO debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates "$SUITE" "$ROOTFS" "$MIRROR" \
    > "$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  # pip inside the chroot trusts what the host trusts (a proxy's CA too) and uses its proxy settings.
  HOST_CA="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
  $SUDO cp "$HOST_CA" "$ROOTFS/tmp/host-ca.crt"
  $SUDO cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  log "pip install apache-beam==$BEAM into /opt/beam/venv"
  $SUDO env -i PATH=/usr/bin:/bin HOME=/root PIP_CERT=/tmp/host-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ${HTTPS_PROXY:+HTTPS_PROXY="$HTTPS_PROXY"} ${https_proxy:+https_proxy="$https_proxy"} \
    ${HTTP_PROXY:+HTTP_PROXY="$HTTP_PROXY"} ${http_proxy:+http_proxy="$http_proxy"} ${NO_PROXY:+NO_PROXY="$NO_PROXY"} \
    ${PIP_INDEX_URL:+PIP_INDEX_URL="$PIP_INDEX_URL"} \
    "$(command -v chroot)" "$ROOTFS" /bin/sh -c "python3 -m venv /opt/beam/venv && /opt/beam/venv/bin/pip install -q --no-cache-dir apache-beam==$BEAM" \
    > "$WORK/pip.log" 2>&1 || { tail -20 "$WORK/pip.log" >&2; exit 1; }
  $SUDO rm -f "$ROOTFS/tmp/host-ca.crt"
  $SUDO rm -rf "$ROOTFS/var/cache/apt/archives/"*.deb "$ROOTFS/var/lib/apt/lists/"*
  $SUDO mkdir -p "$ROOTFS/opt/apache/beam"
  log "importing $BASE"
  $SUDO tar -C "$ROOTFS" -cf - . | $ENGINE import \
    --change 'ENV PATH=/opt/beam/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'WORKDIR /' - "$BASE" >/dev/null
  $SUDO rm -rf "$ROOTFS"
fi
PYTHON_VERSION="$($ENGINE run --rm --entrypoint /opt/beam/venv/bin/python "$BASE" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
IMAGE="localhost/beam-job-server/beam_python${PYTHON_VERSION}_sdk:$BEAM"

# The boot layer: beam-boot linked with the Swift runtime inside, so the image needs no toolchain.
log "building beam-boot with --static-swift-stdlib"
(cd "$ROOT" && swift build --product beam-boot --static-swift-stdlib --scratch-path .build/static >"$WORK/boot-build.log" 2>&1) \
  || { tail -30 "$WORK/boot-build.log" >&2; exit 1; }
BOOT="$WORK/beam-boot"
strip -o "$BOOT" "$ROOT/.build/static/debug/beam-boot"
BOOT_SHA="$(sha256sum "$BOOT" | cut -c1-16)"
LABEL=org.apache.beam.job-server.boot
if [[ "$($ENGINE image inspect --format "{{index .Config.Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null || true)" == "$BASE_KEY-$BOOT_SHA" ]]; then
  log "$IMAGE is up to date"
else
  OLD="$($ENGINE image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
  BUILDER="$($ENGINE create --entrypoint /bin/true "$BASE")"
  trap '$ENGINE rm -f "$BUILDER" >/dev/null 2>&1 || true' EXIT
  $ENGINE cp "$BOOT" "$BUILDER:/opt/apache/beam/boot"
  $ENGINE commit --change 'ENTRYPOINT ["/opt/apache/beam/boot"]' --change 'CMD []' \
    --change "LABEL $LABEL=$BASE_KEY-$BOOT_SHA" "$BUILDER" "$IMAGE" >/dev/null
  [[ -n "$OLD" ]] && $ENGINE rmi "$OLD" >/dev/null 2>&1 || true
  log "built $IMAGE"
fi
echo "$IMAGE"
