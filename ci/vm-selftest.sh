#!/bin/bash
# Self-test of ci/run-in-vm.sh: boots one VM per check (about 3-8 s each,
# the timeout check 20 s) and prints one line per check, then
# "N passed, M failed". Exits 0 only if every check passed.
#
#   ci/vm-selftest.sh            # as root; VMTEST_* knobs are passed through
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNNER=$HERE/run-in-vm.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vm-selftest.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0

# check NAME EXPECTED_RC [GREP_PATTERN] -- CMD...
# Runs CMD (which calls the runner) with stdin from /dev/null unless CMD
# redirects itself; PASS if its status is EXPECTED_RC and, if given, its
# output matches GREP_PATTERN (extended regex).
check() {
    local name=$1 want=$2 pattern=$3 rc t0 t1 log=$WORK/$1.log
    shift 4
    t0=$(date +%s%N)
    "$@" >"$log" 2>&1 </dev/null
    rc=$?
    t1=$(date +%s%N)
    local secs
    secs=$(printf '%d.%01d' $(((t1 - t0) / 1000000000)) $(((t1 - t0) / 100000000 % 10)))
    if [ "$rc" = "$want" ] && { [ -z "$pattern" ] || grep -Eq -- "$pattern" "$log"; }; then
        echo "PASS $name (rc=$rc, ${secs}s)"
        passed=$((passed + 1))
    else
        echo "FAIL $name (rc=$rc, want $want${pattern:+, output matching /$pattern/}, ${secs}s); last lines:"
        tail -n 25 "$log" | sed 's/^/    | /'
        failed=$((failed + 1))
    fi
}

# The feature script: everything the host kernel lacks, with no explicit
# modprobe (the guest autoloads 8021q, bonding, dummy, veth, tun).
cat >"$WORK/features.sh" <<'EOF'
set -eux
ip link add stv0 type veth peer name stv1
ip link add link stv0 name stv0.100 type vlan id 100
ip netns add vmselftest
ip link set stv0.100 netns vmselftest
j=$(ip -n vmselftest -d -j link show stv0.100)
echo "$j"
case $j in
*'"info_kind":"vlan"'*'"id":100'*) ;;
*) echo "ip -d -j link does not show vlan id 100"; exit 1 ;;
esac
ip link add stbond0 type bond mode active-backup
ip -d link show stbond0 | grep -q 'bond mode active-backup'
ip link add stdum0 type dummy
ip link set stdum0 master stbond0
ip -d -j link show stdum0 | grep -q '"info_kind":"dummy"'
ip -d -j link show stdum0 | grep -q '"info_slave_kind":"bond"'
test -c /dev/net/tun
ip tuntap add sttap0 mode tap
mkdir -p /run/ifclone && touch /run/ifclone/selftest
ip netns exec vmselftest ip -br link
ip netns del vmselftest
echo FEATURES-OK
EOF

# No stdin at all, no controlling terminal, a process-group leader caller:
# the status, the cwd and the environment must still come through.
cat >"$WORK/nostdin.sh" <<'EOF'
[ "$PWD" = "$WANT_CWD" ] || { echo "cwd $PWD, want $WANT_CWD"; exit 1; }
[ "$VMSELFTEST_TOKEN" = 'a b$c"d' ] || { echo "env not passed: $VMSELFTEST_TOKEN"; exit 1; }
if read -r -t 5 line; then echo "stdin gave: $line"; exit 1; fi
echo NOSTDIN-OK
exit 5
EOF

echo "vm-selftest: runner $RUNNER"
check pass-true 0 '' -- "$RUNNER" true
check fail-exit-3 3 '' -- "$RUNNER" sh -c 'exit 3'
check features 0 '^FEATURES-OK' -- "$RUNNER" bash "$WORK/features.sh"
check guest-panic 125 'Kernel panic|sysrq' -- "$RUNNER" sh -c 'echo c > /proc/sysrq-trigger; sleep 30'
check timeout 124 '' -- env VMTEST_TIMEOUT=20 "$RUNNER" sleep 60
check no-stdin 5 '^NOSTDIN-OK' -- bash -c 'cd "$1" && WANT_CWD=$1 VMSELFTEST_TOKEN='"'"'a b$c"d'"'"' exec setsid -w "$2" -- bash "$3" <&-' _ "$WORK" "$RUNNER" "$WORK/nostdin.sh"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
