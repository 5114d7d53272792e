#!/bin/bash
# Install what ci/run-in-vm.sh needs (Debian bookworm, apt only), idempotently.
#
#   ci/install-vm-deps.sh            # as root (or through sudo)
#
# Packages: qemu-system-x86 (TCG is used; the host's /dev/kvm is PVM and cannot
# run a stock kernel), linux-image-amd64 (the guest kernel and its modules),
# busybox-static (the guest's stage-1 init), cpio, kmod, xz-utils (to build the
# initramfs and extract the uncompressed vmlinux).
#
# Everything is installed in ONE apt command: installing busybox-static on its
# own re-runs update-initramfs. Installing qemu-system-x86 may remove a newer,
# preinstalled qemu-utils from backports (version conflict); that is expected.
set -euo pipefail

PKGS=(qemu-system-x86 linux-image-amd64 busybox-static cpio kmod xz-utils)

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${PKGS[@]}"; do
    installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-vm-deps: all present (${PKGS[*]})"
    exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi

echo "install-vm-deps: installing ${missing[*]}"
# apt/dpkg put temporary .deb copies under TMPDIR; a /tmp cleaned by a
# concurrent job once made dpkg fail with "cannot stat pathname", so use /var/tmp.
tmp=$(mktemp -d /var/tmp/install-vm-deps.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

$SUDO env TMPDIR="$tmp" apt-get -o DPkg::Lock::Timeout=600 update
$SUDO env TMPDIR="$tmp" DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${PKGS[@]}"

for p in "${PKGS[@]}"; do
    installed "$p" || { echo "install-vm-deps: $p is still not installed" >&2; exit 1; }
done
echo "install-vm-deps: done"
