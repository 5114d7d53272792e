#!/usr/bin/env bash
# The C library as a C programmer gets it, as root on Linux: ffi/install.sh installs it into a
# scratch prefix; ifc-mini (ffi/examples) and the bad-input and lifecycle tests (ffi/tests/c)
# are built with the system C compiler through pkg-config against that installed copy (-Wall
# -Wextra -Werror), run, and ifc-mini's work is checked with `ip`; all three run again under
# AddressSanitizer (with leak detection), and ifc-mini once more linked statically. The header check
# (ffi/tests/header.rs) runs in the host suite. Cleans up even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
[ "$(id -u)" = 0 ] || { echo "ci/ffi.sh must run as root (it creates network namespaces)" >&2; exit 1; }
bash ci/install-deps.sh

work=$(mktemp -d /tmp/ifclone-ffi.XXXXXX)
tag=f$(($$ % 100000))
stack=ifc-mini-$tag
base=icm$tag
cleanup() {
  ip netns del "$stack" 2>/dev/null || true
  ip netns del "ifc-bad-$tag" 2>/dev/null || true
  ip netns del "ifc-life-$tag" 2>/dev/null || true
  for l in "${base}a" "icb${tag}a" "icb${tag}b" "icb${tag}t"; do ip link del "$l" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "--- install into $work/prefix"
sh ffi/install.sh --prefix "$work/prefix"
# Every exported function is declared in the header and every declared one exported (a
# function cbindgen cannot see — one made by a macro — would break the first).
nm -D --defined-only "$work/prefix/lib/libifclone.so" | awk '$2 == "T" {print $3}' | sort >"$work/exported"
grep -oE '\bifclone_[a-z0-9_]+\(' "$work/prefix/include/ifclone/ifclone.h" | tr -d '(' | sort -u >"$work/declared"
diff "$work/declared" "$work/exported" || { echo "ifclone.h and libifclone.so disagree" >&2; exit 1; }
echo "$(wc -l <"$work/exported") functions exported, all declared in ifclone.h; nothing else exported"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$work/prefix/lib"
flags=(-std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE)
read -r -a pc <<<"$(pkg-config --cflags --libs ifclone)"

echo "--- ifc-mini, against the installed library"
cc "${flags[@]}" ffi/examples/ifc-mini.c "${pc[@]}" -o "$work/ifc-mini"
readelf -d "$work/ifc-mini" | grep -q 'NEEDED.*libifclone.so.0' \
  || { echo "ifc-mini is not linked to libifclone.so.0" >&2; exit 1; }
"$work/ifc-mini" "$stack" "$base" keep
# ip, independently: the stack exists, the b end is in it, the a end is home and a veth.
ip netns list | grep -qw "$stack"
ip -n "$stack" -o link show "${base}b" | grep -q "${base}b"
ip -d -o link show "${base}a" | grep -q veth
"$work/ifc-mini" "$stack" "$base" remove
! ip netns list | grep -qw "$stack"
! ip link show "${base}a" >/dev/null 2>&1
! ip link show "${base}b" >/dev/null 2>&1
echo "ip agrees: stack and pair were made, kept, and are gone"

echo "--- bad input from C"
cc "${flags[@]}" ffi/tests/c/bad-input.c "${pc[@]}" -o "$work/bad-input"
"$work/bad-input" "$tag"

echo "--- a manager's life cycle from C: watch, vmove_many, supervisor, endpoint, recover"
cc "${flags[@]}" ffi/tests/c/lifecycle.c "${pc[@]}" -o "$work/lifecycle"
"$work/lifecycle" "$tag"

echo "--- under AddressSanitizer (leaks included)"
asan=(-fsanitize=address -fno-omit-frame-pointer -g)
cc "${flags[@]}" "${asan[@]}" ffi/examples/ifc-mini.c "${pc[@]}" -o "$work/ifc-mini-asan"
cc "${flags[@]}" "${asan[@]}" ffi/tests/c/bad-input.c "${pc[@]}" -o "$work/bad-input-asan"
cc "${flags[@]}" "${asan[@]}" ffi/tests/c/lifecycle.c "${pc[@]}" -o "$work/lifecycle-asan"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 "$work/ifc-mini-asan" "$stack" "$base"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 "$work/bad-input-asan" "$tag"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 "$work/lifecycle-asan" "$tag"

echo "--- ifc-mini linked statically against libifclone.a"
# The archive by its path (a plain -lifclone would pick the .so), then what it needs.
read -r -a needs <<<"$(pkg-config --static --libs-only-l ifclone | sed 's/-lifclone//')"
cc "${flags[@]}" ffi/examples/ifc-mini.c $(pkg-config --cflags ifclone) \
  "$work/prefix/lib/libifclone.a" "${needs[@]}" \
  -o "$work/ifc-mini-static"
! readelf -d "$work/ifc-mini-static" | grep -q libifclone
"$work/ifc-mini-static" "$stack" "$base"
echo "--- the C bench builds (it is run by hand: README, Benchmarks)"
cc "${flags[@]}" -O2 ffi/examples/bench-ffi.c "${pc[@]}" -o "$work/bench-ffi"
echo "C library checks passed"
