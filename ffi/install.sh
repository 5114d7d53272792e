#!/bin/sh
# Builds and installs ifclone's C library (what cargo-c's `cargo cinstall` would do, with
# nothing to install first): libifclone.so.VERSION with its soname link libifclone.so.0 and the
# development link libifclone.so, libifclone.a, include/ifclone/ifclone.h and ifclone.pc.
#
#   sh ffi/install.sh [--prefix DIR] [--libdir DIR] [--destdir DIR] [--uninstall]
#
# The default prefix is /usr/local; the .pc file goes where that OS's pkg-config looks
# (Linux: PREFIX/lib/pkgconfig; FreeBSD: PREFIX/libdata/pkgconfig). Installing into the system
# prefix as root refreshes the dynamic linker's cache (ldconfig). POSIX sh: Linux and FreeBSD.
set -eu

prefix=/usr/local
libdir=
destdir=
uninstall=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --libdir) libdir=$2; shift 2 ;;
    --libdir=*) libdir=${1#*=}; shift ;;
    --destdir) destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "ffi/install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$here/Cargo.toml" | head -n 1)
major=$(sed -n 's/^const SONAME_MAJOR: u32 = \([0-9]*\);$/\1/p' "$here/build.rs")
[ -n "$version" ] && [ -n "$major" ] || { echo "ffi/install.sh: cannot read the version" >&2; exit 1; }
os=$(uname -s)
[ -n "$libdir" ] || libdir="$prefix/lib"
case "$os" in
  FreeBSD) pcdir="$prefix/libdata/pkgconfig"
           # What `rustc --print native-static-libs` names for a static link on FreeBSD.
           private="-lexecinfo -lgcc_s -lutil -lrt -lpthread -lm -lc" ;;
  *)       pcdir="$libdir/pkgconfig"
           private="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc" ;;
esac
incdir="$prefix/include/ifclone"

if [ "$uninstall" = 1 ]; then
  rm -f "$destdir$libdir/libifclone.so.$version" "$destdir$libdir/libifclone.so.$major" \
        "$destdir$libdir/libifclone.so" "$destdir$libdir/libifclone.a" \
        "$destdir$pcdir/ifclone.pc" "$destdir$incdir/ifclone.h"
  rmdir "$destdir$incdir" 2>/dev/null || true
  echo "ffi/install.sh: removed libifclone $version from $prefix"
  exit 0
fi

cargo=${CARGO:-cargo}
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && "$cargo" build --release --locked -p ifclone-ffi)
out="$target/release"
[ -f "$out/libifclone_ffi.so" ] && [ -f "$out/libifclone_ffi.a" ] || {
  echo "ffi/install.sh: the build left no libifclone_ffi.so/.a in $out" >&2; exit 1; }

mkdir -p "$destdir$libdir" "$destdir$pcdir" "$destdir$incdir"
# Copy to a temporary name and rename: a process running the old library keeps its mapping.
cp "$out/libifclone_ffi.so" "$destdir$libdir/.libifclone.so.$version.tmp"
mv -f "$destdir$libdir/.libifclone.so.$version.tmp" "$destdir$libdir/libifclone.so.$version"
ln -sf "libifclone.so.$version" "$destdir$libdir/libifclone.so.$major"
ln -sf "libifclone.so.$major" "$destdir$libdir/libifclone.so"
cp "$out/libifclone_ffi.a" "$destdir$libdir/libifclone.a"
cp "$here/include/ifclone.h" "$destdir$incdir/ifclone.h"
cat > "$destdir$pcdir/ifclone.pc" <<EOF
prefix=$prefix
libdir=$libdir
includedir=$prefix/include/ifclone

Name: ifclone
Description: One driver model for cloned network interfaces and network stacks (Linux netns, FreeBSD VNET jails)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lifclone
Libs.private: $private
EOF

if [ -z "$destdir" ] && [ "$(id -u)" = 0 ]; then
  case "$os" in
    Linux) ldconfig 2>/dev/null || /sbin/ldconfig || true ;;
    FreeBSD) ldconfig -m "$libdir" || true ;;
  esac
fi
echo "ffi/install.sh: installed libifclone $version (soname libifclone.so.$major) in $destdir$libdir," \
     "ifclone.h in $destdir$incdir, ifclone.pc in $destdir$pcdir"
