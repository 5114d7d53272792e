#!/usr/bin/env bash
# Runs the tests that need kernel features the host lacks (8021q, bonding, dummy) inside a qemu
# guest booting Debian's linux-image-amd64 (TCG). Each test binary is one VM boot; the tests in
# these binaries are #[ignore]d on the host and run here with --include-ignored, never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-vm-deps.sh
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$PWD/ci/run-in-vm.sh"
export VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-900}
tests=()
for f in tests/vm_*.rs; do tests+=(--test "$(basename "$f" .rs)"); done
setsid -w cargo test "${tests[@]}" -- --include-ignored --test-threads=2 </dev/null
