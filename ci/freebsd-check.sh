#!/usr/bin/env bash
# Type-checks and lints the whole workspace (lib, tests, examples, benches) for
# x86_64-unknown-freebsd on this Debian 12 machine, as docs/freebsd-check.md describes: Debian's
# rustc-web 1.96 ships the standard library's sources, so cargo builds `std` for FreeBSD from
# source (-Zbuild-std, allowed by RUSTC_BOOTSTRAP=1). Nothing is linked or run: that needs a
# FreeBSD runner (.cirrus.yml). Exits non-zero on any error or warning.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/apt-need.sh rustc-web rust-web-src cargo-web rust-web-clippy
for f in /usr/bin/cargo /usr/bin/rustc /usr/bin/cargo-clippy /usr/bin/clippy-driver; do
  [ -x "$f" ] || { echo "ci/freebsd-check.sh: $f is missing" >&2; exit 1; }
done
[ -d /usr/lib/rustlib/src/rust/library ] || {
  echo "ci/freebsd-check.sh: /usr/lib/rustlib/src/rust/library is missing (rust-web-src)" >&2
  exit 1
}

# /usr/bin first: otherwise cargo finds rustup's cargo-clippy, which wants a rust-src that
# does not exist. A separate target dir keeps these artifacts away from the rustup toolchain's.
export PATH="/usr/bin:$PATH"
export RUSTC_BOOTSTRAP=1
export RUSTC=/usr/bin/rustc
export CARGO_TARGET_DIR="${FREEBSD_TARGET_DIR:-$PWD/target-freebsd}"
# --workspace: ifclone and the ifclone-freebsd-abi crate (backends/freebsd-abi).
args=(-Zbuild-std=std,panic_abort --target x86_64-unknown-freebsd --workspace --all-targets)

echo "=== cargo check (x86_64-unknown-freebsd) ==="
/usr/bin/cargo check "${args[@]}"
echo "=== cargo clippy -D warnings (x86_64-unknown-freebsd) ==="
/usr/bin/cargo clippy "${args[@]}" -- -D warnings
echo "FreeBSD check passed"
