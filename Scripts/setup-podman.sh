#!/usr/bin/env bash
# Makes podman able to run SDK harness containers on a Debian machine without
# a docker daemon (what Scripts/test.sh needs for the DOCKER tests): installs
# podman, runc and debootstrap when missing and, when no containers.conf
# exists yet, writes one with runc and cgroupfs (crun refuses hybrid cgroup
# hosts) and no default ulimits (a container may not raise them here).
set -euo pipefail
SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
need=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
if (( ${#need[@]} )); then
  $SUDO apt-get install -y -q "${need[@]}" || { $SUDO apt-get update -q && $SUDO apt-get install -y -q "${need[@]}"; }
fi
CONF=/etc/containers/containers.conf
if [[ ! -e "$CONF" ]]; then
  $SUDO mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n' | $SUDO tee "$CONF" >/dev/null
fi
podman info >/dev/null
