#!/bin/bash
# run-in-vm.sh — run one command as root in a throw-away Linux VM (QEMU/TCG).
#
#   ci/run-in-vm.sh [--] CMD [ARGS...]
#   CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER=$PWD/ci/run-in-vm.sh cargo test --test vm_vlan
#
# Why: the host kernel has no 8021q, bonding or dummy. Debian's stock kernel
# (linux-image-amd64) has them all as modules, so the tests that need them run
# in a guest that boots that kernel. See docs/linux-vm.md.
#
# What the guest sees:
#   * the host's whole / read-only over virtio-9p, under a tmpfs overlay, so
#     binaries built on the host run unchanged and guest writes are discarded;
#   * its own /proc, /sys, /dev (devtmpfs + static nodes such as /dev/net/tun),
#     /dev/pts, /dev/shm, cgroup2, and a tmpfs on /run (so /run/netns and
#     /run/ifclone are writable; / is rshared, so `ip netns add` works);
#   * no NIC, only lo (up); hostname "vmtest".
# CMD runs as root with the host's cwd and exported environment. Its stdout and
# stderr are merged onto this script's stdout; its stdin is /dev/null unless
# this script's stdin is a TTY. The exit status is CMD's; 124 = timeout,
# 125 = the VM never reported a status (boot failure, guest panic, QEMU error).
#
# Knobs (environment):
#   VMTEST_TIMEOUT  seconds before QEMU is killed (default 900) -> exit 124
#   VMTEST_CPUS     guest vCPUs (default 2)
#   VMTEST_MEM      guest RAM (default 1G)
#   VMTEST_MODULES  modules to modprobe before CMD (space/comma separated);
#                   normally unneeded: the guest autoloads on first use
#   VMTEST_RW_DIRS  host directories (colon separated) the guest may write,
#                   mounted read-write over 9p at the same path
#   VMTEST_VERBOSE  1 = show the boot log, the QEMU command and init timings
#   VMTEST_PVH      0 = boot the bzImage instead of the extracted vmlinux
#   VMTEST_ACCEL    default tcg,thread=multi; kvm only on real-KVM hosts
#   VMTEST_MACHINE  default q35
#   VMTEST_KERNEL   kernel version to use (default: newest with modules)
#   VMTEST_CACHE    cache dir (default /var/tmp/vmtest-cache)
#   VMTEST_QEMU_OPTS extra QEMU arguments (word-split)
#   VMTEST_FAILOVER_NIC 0 = no failover NIC. By default the guest has one
#                   virtio-net NIC offered with failover=on (the kernel's
#                   net_failover makes a master and its standby of it),
#                   on a QEMU hub port that leads nowhere: no traffic leaves
#                   the VM (QEMU warns "hub 0 is not connected to host
#                   network"). virtio_net is loaded for it.
#
# Requirements: ci/install-vm-deps.sh (qemu-system-x86 linux-image-amd64
# busybox-static cpio kmod xz-utils). Run as root (reads /boot, writes the cache).
#
# Pitfalls handled here (details in docs/linux-vm.md):
#   * /dev/kvm on these hosts is PVM and cannot run a stock kernel: TCG only;
#     -M microvm hangs in TSC calibration under TCG: q35.
#   * Module autoload (kernel usermode helper -> modprobe) resolves paths in
#     PID 1's root: stage 1 must switch_root, not chroot a child.
#   * QEMU exits 0 whatever the guest does (even on SIGTERM): the status comes
#     back through a file on a 9p share; -no-reboot + `reboot -f` / panic=-1.
#   * Background jobs of a non-interactive bash get stdin=/dev/null: a TTY
#     stdin is handed to QEMU explicitly on fd 3.
#   * Callers that are process-group leaders must use `setsid -w`, not `setsid`.
set -uo pipefail

PROG=run-in-vm
die() { echo "$PROG: $*" >&2; exit 125; }
vlog() { [ "${VMTEST_VERBOSE:-0}" = 1 ] && echo "$PROG: $*" >&2; return 0; }

[ "${1:-}" = -- ] && shift
[ $# -ge 1 ] || { echo "usage: $PROG [--] CMD [ARGS...]" >&2; exit 125; }

TIMEOUT=${VMTEST_TIMEOUT:-900}
CPUS=${VMTEST_CPUS:-2}
MEM=${VMTEST_MEM:-1G}
ACCEL=${VMTEST_ACCEL:-tcg,thread=multi}
MACHINE=${VMTEST_MACHINE:-q35}
CACHE=${VMTEST_CACHE:-/var/tmp/vmtest-cache}
VERBOSE=${VMTEST_VERBOSE:-0}
QEMU=${VMTEST_QEMU:-qemu-system-x86_64}
# Modules stage 1 needs before it can mount anything (all =m in Debian's kernel).
BOOT_MODULES="virtio_pci virtio_mmio 9pnet_virtio 9p overlay"

case $TIMEOUT in '' | *[!0-9]*) die "VMTEST_TIMEOUT must be a number of seconds" ;; esac
command -v "$QEMU" >/dev/null || die "$QEMU not found (run ci/install-vm-deps.sh)"
[ -x /bin/busybox ] || die "/bin/busybox not found (run ci/install-vm-deps.sh)"
command -v cpio >/dev/null || die "cpio not found (run ci/install-vm-deps.sh)"
command -v modprobe >/dev/null || die "modprobe not found (run ci/install-vm-deps.sh)"

case ${ACCEL%%,*} in
kvm)
    if grep -qw kvm_pvm /proc/modules 2>/dev/null || [ -d /sys/module/kvm_pvm ]; then
        echo "$PROG: warning: /dev/kvm is kvm_pvm, which cannot run a stock kernel; use tcg" >&2
    fi
    CPU_MODEL=host
    ;;
*) CPU_MODEL=max ;;
esac

# ---------------------------------------------------------------- kernel ----
if [ -n "${VMTEST_KERNEL:-}" ]; then
    KVER=$VMTEST_KERNEL
else
    KVER=
    while read -r v; do
        if [ -d "/lib/modules/$v" ]; then KVER=$v; fi
    done < <(for f in /boot/vmlinuz-*; do [ -e "$f" ] && echo "${f#/boot/vmlinuz-}"; done | sort -V)
fi
[ -n "$KVER" ] || die "no /boot/vmlinuz-* with /lib/modules/<version> (run ci/install-vm-deps.sh)"
BZIMAGE=/boot/vmlinuz-$KVER
[ -r "$BZIMAGE" ] || die "cannot read $BZIMAGE"
[ -d "/lib/modules/$KVER" ] || die "no /lib/modules/$KVER"

# The cache key: kernel version + size + mtime of the bzImage, plus a hash of
# this script (the init scripts below live in it) and of busybox.
SELF_HASH=$({ cat "${BASH_SOURCE[0]}"; stat -Lc '%s-%Y' /bin/busybox; } | sha256sum | cut -c1-12)
KSTAT=$(stat -Lc '%s-%Y' "$BZIMAGE")
KEY=$KVER-$KSTAT-$SELF_HASH
VMLINUX=$CACHE/vmlinux-$KVER-$KSTAT
INITRD=$CACHE/initramfs-$KEY.cpio

# ------------------------------------------------------ guest init scripts ----
# Stage 1: PID 1 in the initramfs. Loads the boot modules, builds the overlay
# root (host / over 9p + tmpfs), moves /proc /sys /dev into it, mounts /run and
# the transfer share, then switch_root's into it, running stage 2 as PID 1.
read -r -d '' STAGE1 <<'EOF_STAGE1'
#!/bin/busybox sh
export PATH=/bin
/bin/busybox mkdir -p /proc /sys /dev /lower /rw /newroot
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
[ -e /dev/console ] && exec </dev/console >/dev/console 2>&1
bb=/bin/busybox
VERBOSE=0
case " $($bb cat /proc/cmdline) " in *" vmtest.verbose=1 "*) VERBOSE=1 ;; esac
t() { [ $VERBOSE = 1 ] && echo "vmtest: stage1 $(read u _ </proc/uptime 2>/dev/null || read u _ </newroot/proc/uptime; echo $u)s: $*"; return 0; }
fail() { echo "vmtest: stage1: $*"; $bb sleep 1; $bb poweroff -f; }
t start
while read -r m args; do
    $bb insmod "$m" $args || fail "insmod $m failed"
done </modules.list
t modules loaded
$bb mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower \
    || fail "mount of the host root (9p) failed"
$bb mount -t tmpfs -o mode=0755 rw /rw || fail "tmpfs"
$bb mkdir -p /rw/upper /rw/work
$bb mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
    || fail "overlay mount failed"
$bb mount --move /proc /newroot/proc || fail "move /proc"
$bb mount --move /sys /newroot/sys || fail "move /sys"
$bb mount --move /dev /newroot/dev || fail "move /dev"
$bb mount -t tmpfs -o mode=0755,nosuid,nodev run /newroot/run || fail "tmpfs /run"
$bb mkdir -p /newroot/run/vmtest /newroot/run/vminit
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmtest /newroot/run/vmtest \
    || fail "mount of the transfer share failed"
$bb cp /bin/busybox /stage2 /newroot/run/vminit/
t root ready
exec $bb switch_root /newroot /run/vminit/busybox sh /run/vminit/stage2
EOF_STAGE1

# Stage 2: PID 1 in the overlay root. Finishes the system setup, runs
# /run/vmtest/run.sh (written by the host) with the host's bash, reports the
# status in /run/vmtest/rc and powers off (QEMU runs with -no-reboot).
read -r -d '' STAGE2 <<'EOF_STAGE2'
bb=/run/vminit/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
VERBOSE=0 STDIN_TTY=0 STDOUT_TTY=0 RW_DIRS= MODULES= TTY_ROWS= TTY_COLS=
. /run/vmtest/config
t() { [ $VERBOSE = 1 ] && echo "vmtest: stage2 $(read u _ </proc/uptime; echo $u)s: $*"; return 0; }
t start
$bb mount --make-rshared /
$bb mkdir -p /dev/pts /dev/shm /sys/fs/cgroup
$bb mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
$bb mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Static nodes for modules that register a device (like systemd's
# kmod-static-nodes): opening /dev/net/tun then autoloads tun.
kver=$($bb uname -r)
if [ -r /lib/modules/$kver/modules.devname ]; then
    while read -r mod name dev; do
        case $mod in '#'* | '') continue ;; esac
        [ -e /dev/$name ] && continue
        type=${dev%%[0-9]*}; mm=${dev#?}; maj=${mm%%:*}; min=${mm#*:}
        # A node in a subdirectory (net/tun) needs it; one at the top (vhost-net) must not
        # get a directory of its own name.
        case $name in */*) $bb mkdir -p "/dev/${name%/*}" ;; esac
        $bb mknod -m 0600 "/dev/$name" "$type" "$maj" "$min" 2>/dev/null
    done </lib/modules/$kver/modules.devname
    [ -e /dev/net/tun ] && $bb chmod 0666 /dev/net/tun
fi
[ -e /dev/fd ] || $bb ln -s /proc/self/fd /dev/fd
for s in stdin:0 stdout:1 stderr:2; do [ -e /dev/${s%:*} ] || $bb ln -s /proc/self/fd/${s#*:} /dev/${s%:*}; done
$bb ip link set lo up
$bb hostname vmtest
$bb stty -onlcr </dev/console 2>/dev/null
i=0
IFS_SAVE=$IFS; IFS=:
for d in $RW_DIRS; do
    IFS=$IFS_SAVE
    [ -n "$d" ] || continue
    $bb mkdir -p "$d" 2>/dev/null
    $bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 "rw$i" "$d" \
        || echo "vmtest: could not mount $d read-write"
    i=$((i + 1))
done
IFS=$IFS_SAVE
for m in $MODULES; do
    /sbin/modprobe "$m" || echo "vmtest: modprobe $m failed"
done
t running command
# stdin: the serial TTY (as controlling terminal, so /dev/tty works;
# /dev/console cannot be one) if the host's stdin is a TTY, else /dev/null.
# stdout+stderr: the console if the host's stdout is a TTY; else a pipe copied
# to the console, so the command does not believe it writes to a TTY (no
# colour codes, no surprises from line buffering).
run() {
    if [ $STDIN_TTY = 1 ]; then
        [ -n "$TTY_ROWS" ] && $bb stty rows "$TTY_ROWS" cols "$TTY_COLS" </dev/ttyS0 2>/dev/null
        $bb setsid -c /bin/bash /run/vmtest/run.sh </dev/ttyS0
    else
        /bin/bash /run/vmtest/run.sh </dev/null
    fi
}
set -o pipefail
if [ $STDOUT_TTY = 1 ]; then
    run >/dev/ttyS0 2>&1
else
    run 2>&1 | $bb cat >/dev/console
fi
rc=$?
set +o pipefail
t "command exited ($rc)"
echo $rc >/run/vmtest/rc.tmp && $bb mv /run/vmtest/rc.tmp /run/vmtest/rc
$bb sync
[ $VERBOSE = 1 ] || echo 0 >/proc/sys/kernel/printk
$bb reboot -f
$bb sleep 5
EOF_STAGE2

# ------------------------------------------------------------ build cache ----
build_vmlinux() {
    # The bzImage's payload is one xz stream; the uncompressed ELF vmlinux can
    # be booted through its PVH entry point (no SeaBIOS, no decompression in
    # the guest: ~3 s faster per boot under TCG).
    local tmp=$1 off
    grep -q '^CONFIG_PVH=y' "/boot/config-$KVER" 2>/dev/null || return 1
    while read -r off; do
        # xz stops after the first stream, so tail dies of SIGPIPE: only
        # xz's status counts.
        tail -c +$((off + 1)) "$BZIMAGE" 2>/dev/null | xz -dc --single-stream >"$tmp" 2>/dev/null
        if [ "${PIPESTATUS[1]}" = 0 ] \
            && [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            return 0
        fi
    done < <(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$BZIMAGE" | cut -d: -f1)
    return 1
}

build_initramfs() {
    local out=$1 dir m line path seen=" "
    dir=$(mktemp -d "$CACHE/initramfs.XXXXXX") || return 1
    mkdir -p "$dir"/{bin,dev,proc,sys,lower,rw,newroot} || return 1
    cp /bin/busybox "$dir/bin/busybox" || return 1
    ln -s busybox "$dir/bin/sh"
    : >"$dir/modules.list"
    for m in $BOOT_MODULES; do
        while read -r line; do
            case $line in insmod\ *) ;; *) continue ;; esac
            line=${line#insmod }
            path=${line%% *}
            case $seen in *" $path "*) continue ;; esac
            seen="$seen$path "
            mkdir -p "$dir${path%/*}"
            case $path in
            *.ko.xz) xz -dc "$path" >"$dir${path%.xz}" && path=${path%.xz} ;;
            *.ko.zst) zstd -qdc "$path" >"$dir${path%.zst}" && path=${path%.zst} ;;
            *.ko.gz) gzip -dc "$path" >"$dir${path%.gz}" && path=${path%.gz} ;;
            *) cp "$path" "$dir$path" ;;
            esac || return 1
            echo "$path" >>"$dir/modules.list"
        done < <(modprobe -S "$KVER" --show-depends "$m" 2>/dev/null)
    done
    [ -s "$dir/modules.list" ] || { echo "$PROG: no modules for $KVER" >&2; return 1; }
    printf '%s\n' "$STAGE1" >"$dir/init"
    printf '%s\n' "$STAGE2" >"$dir/stage2"
    chmod 0755 "$dir/init" "$dir/stage2"
    mknod -m 0600 "$dir/dev/console" c 5 1 2>/dev/null
    (cd "$dir" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$dir.cpio" || return 1
    rm -rf "$dir"
    mv -f "$dir.cpio" "$out"
}

PVH=${VMTEST_PVH:-1}
if [ ! -s "$INITRD" ] || { [ "$PVH" = 1 ] && [ ! -e "$VMLINUX" ] && [ ! -e "$VMLINUX.none" ]; }; then
    mkdir -p "$CACHE" || die "cannot create $CACHE"
    exec 9>"$CACHE/lock" || die "cannot open $CACHE/lock"
    flock 9
    if [ "$PVH" = 1 ] && [ ! -e "$VMLINUX" ] && [ ! -e "$VMLINUX.none" ]; then
        vlog "extracting vmlinux from $BZIMAGE"
        tmp=$(mktemp "$CACHE/vmlinux.XXXXXX")
        if build_vmlinux "$tmp"; then
            chmod 0644 "$tmp" && mv -f "$tmp" "$VMLINUX"
        else
            rm -f "$tmp"
            echo "$PROG: could not extract a PVH vmlinux from $BZIMAGE; booting the bzImage" >&2
            : >"$VMLINUX.none"
        fi
    fi
    if [ ! -s "$INITRD" ]; then
        vlog "building $INITRD"
        # Drop images of other versions of this script once unused for a day
        # (not at once: another worktree may be booting one right now).
        find "$CACHE" -maxdepth 1 -name 'initramfs-*.cpio' -mtime +0 -delete 2>/dev/null
        build_initramfs "$INITRD" || { rm -rf "$CACHE"/initramfs.??????*; die "initramfs build failed"; }
    fi
    exec 9>&-
fi
# mtime = last use: images unused for a day are dropped by the next build.
touch -c "$INITRD" 2>/dev/null
KERNEL=$BZIMAGE
[ "$PVH" = 1 ] && [ -s "$VMLINUX" ] && KERNEL=$VMLINUX

# --------------------------------------------------------------- the run ----
RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/vmtest.XXXXXX") || die "mktemp failed"
XFER=$RUNDIR/xfer
mkdir "$XFER"
TPID=
STTY_SAVED=
cleanup() {
    local pid
    if [ -n "$TPID" ]; then
        # Still running: kill QEMU by its own pid, then let timeout (which
        # forwards TERM, should QEMU not have written its pidfile yet) reap it.
        pid=$(cat "$RUNDIR/qemu.pid" 2>/dev/null)
        if [ -n "$pid" ] && grep -q '^qemu' "/proc/$pid/comm" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
        fi
        kill -TERM "$TPID" 2>/dev/null
        wait "$TPID" 2>/dev/null
        TPID=
    fi
    [ -n "$STTY_SAVED" ] && stty "$STTY_SAVED" <&3 2>/dev/null
    rm -rf "$RUNDIR"
}
on_signal() {
    trap - INT TERM HUP
    echo "$PROG: interrupted ($1), killing the VM" >&2
    cleanup
    trap - EXIT
    exit $((128 + $2))
}
trap cleanup EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP

STDIN_TTY=0 STDOUT_TTY=0
[ -t 0 ] && STDIN_TTY=1
[ -t 1 ] && STDOUT_TTY=1

# config for stage 2 (sourced by busybox sh)
qrw=()
{
    echo "VERBOSE=$([ "$VERBOSE" = 1 ] && echo 1 || echo 0)"
    echo "STDIN_TTY=$STDIN_TTY STDOUT_TTY=$STDOUT_TTY"
    if [ $STDIN_TTY = 1 ] && size=$(stty size 2>/dev/null) && [ -n "$size" ]; then
        echo "TTY_ROWS=${size% *} TTY_COLS=${size#* }"
    fi
    mods=$(echo "${VMTEST_MODULES:-}" | tr ',' ' ')
    [ "${VMTEST_FAILOVER_NIC:-1}" = 0 ] || mods="virtio_net $mods"
    printf 'MODULES=%q\n' "$mods"
    rw=
    i=0
    IFS=: read -r -a dirs <<<"${VMTEST_RW_DIRS:-}"
    for d in "${dirs[@]}"; do
        [ -n "$d" ] || continue
        d=$(realpath -e -- "$d") || die "VMTEST_RW_DIRS: $d does not exist"
        [ -d "$d" ] || die "VMTEST_RW_DIRS: $d is not a directory"
        rw="$rw${rw:+:}$d"
        qrw+=(-virtfs "local,path=${d//,/,,},mount_tag=rw$i,security_model=none,multidevs=remap")
        i=$((i + 1))
    done
    printf 'RW_DIRS=%q\n' "$rw"
} >"$XFER/config"

# run.sh: the host's exported environment, its cwd and the argv, run by the
# host's bash in the guest.
{
    echo '# generated by run-in-vm.sh'
    export -p | grep -Ev '^declare -[a-zA-Z-]* (BASHOPTS|SHELLOPTS|BASH_[A-Z_]*|_|PWD|OLDPWD|SHLVL|PPID|UID|EUID|HOSTNAME|TERM_SESSION_ID)(=|$)'
    printf 'cd -- %q || exit 125\n' "$PWD"
    printf 'export PWD=%q\n' "$PWD"
    printf 'exec'
    printf ' %q' "$@"
    printf '\n'
} >"$XFER/run.sh"

APPEND="console=ttyS0 panic=-1 rdinit=/init"
if [ "$VERBOSE" = 1 ]; then
    APPEND="$APPEND vmtest.verbose=1"
else
    APPEND="$APPEND quiet loglevel=1"
fi
# shellcheck disable=SC2206
QARGS=(
    -M "$MACHINE" -nodefaults -no-user-config -no-reboot
    -accel "$ACCEL" -cpu "$CPU_MODEL" -smp "$CPUS" -m "$MEM"
    -display none -monitor none -serial stdio
    -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND"
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=${XFER//,/,,},mount_tag=vmtest,security_model=none,multidevs=remap"
    "${qrw[@]}"
    -pidfile "$RUNDIR/qemu.pid"
    ${VMTEST_QEMU_OPTS:-}
)
if [ "${VMTEST_FAILOVER_NIC:-1}" != 0 ]; then
    QARGS+=(-netdev hubport,id=nfo,hubid=0
        -device virtio-net-pci,netdev=nfo,failover=on,mac=52:54:00:fa:11:00)
fi
vlog "kernel $KERNEL, initramfs $INITRD"
vlog "$QEMU ${QARGS[*]}"

TOPTS=(-k 5)
if [ $STDIN_TTY = 1 ]; then
    # timeout puts itself in a new process group, and QEMU reading the TTY
    # from there would be stopped by SIGTTIN.
    TOPTS+=(--foreground)
    STTY_SAVED=$(stty -g 2>/dev/null)
    exec 3<&0
else
    exec 3</dev/null
fi
# If this script dies without running its traps (SIGKILL), the death signals
# take timeout and QEMU down with it.
PDEATH=()
setpriv --pdeathsig KILL true 2>/dev/null && PDEATH=(setpriv --pdeathsig KILL)

start=$(date +%s%N)
"${PDEATH[@]}" timeout "${TOPTS[@]}" "$TIMEOUT" "${PDEATH[@]}" "$QEMU" "${QARGS[@]}" <&3 3<&- &
TPID=$!
wait "$TPID"
qrc=$?
TPID=
vlog "QEMU exited with $qrc after $((($(date +%s%N) - start) / 1000000)) ms"

if [ -s "$XFER/rc" ]; then
    rc=$(cat "$XFER/rc")
    case $rc in '' | *[!0-9]*) rc=125 ;; esac
elif [ $qrc = 124 ] || [ $qrc = 137 ]; then
    echo "$PROG: timeout after ${TIMEOUT}s (VMTEST_TIMEOUT)" >&2
    rc=124
else
    echo "$PROG: the VM reported no exit status (QEMU exit $qrc; boot failure or guest panic?)" >&2
    rc=125
fi
exit "$rc"
