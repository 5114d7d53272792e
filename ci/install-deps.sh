#!/usr/bin/env bash
# Installs what the build and the host test suite need on a fresh Debian 12 machine (idempotent).
# The VM suite and the FreeBSD check install their own packages (ci/install-vm-deps.sh,
# ci/freebsd-check.sh).
set -euo pipefail
need=()
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
# The C library's tests build C programs through pkg-config (ci/ffi.sh).
command -v pkg-config >/dev/null || need+=(pkg-config)
# The CNI plugin's tests delegate IPAM to the reference host-local plugin.
[ -x /usr/lib/cni/host-local ] || need+=(containernetworking-plugins)
if ((${#need[@]})); then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${need[@]}"
fi
command -v cargo >/dev/null || { echo "ci/install-deps.sh: cargo (rustup) is required" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
