#!/usr/bin/env bash
# Runs the test suite inside a qemu guest booting Debian's linux-image-amd64 (6.1, TCG): the
# tests that need kernel features the host lacks (8021q, bonding, dummy: tests/vm_*.rs, which are
# #[ignore]d on the host) run here with --include-ignored, never skipped; the rest of the suite
# runs here too, so every test also passes on a second, older kernel. One VM boot per binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-vm-deps.sh
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$PWD/ci/run-in-vm.sh"
export VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-900}
# tests/hypervisor.rs boots QEMU itself: ci/test-all.sh runs it on the host (inside the guest
# QEMU would emulate QEMU); it is skipped here by name, said, not silently.
echo "VM suite: skipping a_hypervisor_boots_on_ifclones_taps (run on the host by ci/test-all.sh)"
setsid -w cargo test --lib --tests -- --include-ignored --test-threads=2 \
    --skip a_hypervisor_boots_on_ifclones_taps </dev/null
echo "VM suite: the CNI plugin's vlan mode (8021q)"
setsid -w cargo test -p ifclone-cni --test plugin -- --include-ignored vm_ --test-threads=2 </dev/null
