#!/usr/bin/env bash
# Every test of ifclone, as root on a fresh Debian 12 machine: lint, the host suite on the real
# kernel, the C library installed and run from C, the CNI plugin under podman, a leftover check,
# the VM suite (vlan/bond/dummy in a qemu guest), the qemu guest booted on ifclone's taps, the
# FreeBSD type-check and lint. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup's toolchain, not the Debian cargo-web that ci/freebsd-check.sh installs in /usr/bin.
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
[ "$(id -u)" = 0 ] || { echo "ci/test-all.sh must run as root (it creates network namespaces)" >&2; exit 1; }
step() { printf '\n=== %s ===\n' "$*"; }

step "dependencies"
bash ci/install-deps.sh

# --workspace (fmt: --all): ifclone and backends/freebsd-abi, whose tests run on Linux too.
step "format and lint (Linux)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "host suite (real kernel, root)"
cargo test --workspace --all-targets
cargo test --workspace --doc

step "the C library (installed, built with cc through pkg-config, run; and under ASan)"
bash ci/ffi.sh

step "the CNI plugin under a real engine (podman, CNI backend)"
bash ci/cni-e2e.sh

step "leftover check"
bash ci/leftovers.sh

step "VM suite (vlan, bond, dummy under qemu)"
bash ci/test-vm.sh

# After the VM suite: it installed QEMU and the guest kernel this test boots.
step "a hypervisor on ifclone's taps (QEMU booted on the host)"
cargo test --test hypervisor -- --ignored

step "FreeBSD type-check and lint"
bash ci/freebsd-check.sh

echo
echo "all tests passed"
