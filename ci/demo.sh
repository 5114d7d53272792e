#!/usr/bin/env bash
# The main job: the `ifc` binary on the real kernel (root). A newcomer's first session: create a
# stack, an epair with its b end inside it, look at both ends (with ifc and, independently, with
# ip netns exec), move the a end in and back, then remove the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup's toolchain, not the Debian cargo-web that ci/freebsd-check.sh installs in /usr/bin.
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
[ "$(id -u)" = 0 ] || { echo "ci/demo.sh must run as root" >&2; exit 1; }
bash ci/install-deps.sh >/dev/null
cargo build -q --bin ifc
ifc=target/debug/ifc
s=demo$$
run() { printf '\n$ %s\n' "$*"; "$@"; }
cleanup() { "$ifc" stack remove "$s" >/dev/null 2>&1 || true; ip link del "${a:-none}" 2>/dev/null || true; }
trap cleanup EXIT

run "$ifc" -C
run "$ifc" stack create "$s"
run "$ifc" stack list
a=$("$ifc" epair create peervnet "$s" mtu 1400 description uplink up)
echo "created $a"
b=${a%a}b
run "$ifc" "$a"
run "$ifc" -j "$s" -a
run ip netns exec "$s" ip -br link
run ip -br link show "$a"
run "$ifc" "$a" vnet "$s"
run "$ifc" -j "$s" -l
run "$ifc" -j "$s" "$a" -vnet
run "$ifc" stack remove "$s"
run ip -br link show "$a"
run "$ifc" recover
run "$ifc" "$a" destroy
trap - EXIT
echo; echo "demo done"
