#!/usr/bin/env bash
# Benchmark: ADD then DEL of N containers' interfaces (default 100) with ifclone's plugin beside
# the reference plugins, in the same run: `epair` beside ptp (a pair per container, host-local
# IPAM), `move` beside host-device (a macvlan per container moved in and given back, no IPAM).
# Each sample: N fresh network namespaces (and for the moves N macvlans) made untimed, then N
# ADDs timed, then N DELs timed, one plugin process per call as a runtime runs them; samples
# interleaved (ref, ifclone, ref, ifclone, …), min and median of --reps. As root:
#
#   bash cni/bench.sh [N [REPS]]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
n=${1:-100}
reps=${2:-3}
cargo build -q --release -p ifclone-cni
work=$(mktemp -d /tmp/ifclone-cni-bench.XXXXXX)
tag=$(($$ % 1000))
cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep "^ifcbench-cni$tag-" || true); do ip netns del "$ns"; done
  for l in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^ifcb$tag" || true); do
    ip link del "$l" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin"
cp target/release/ifclone-cni "$work/bin/ifclone"
for b in host-device ptp host-local; do ln -s "/usr/lib/cni/$b" "$work/bin/$b"; done

now() { date +%s.%N; }
# One sample: prints "ADD-seconds DEL-seconds".
sample() { # plugin-binary keys-json with-macvlans
  local bin=$1 keys=$2 mv=$3 i t0 t1 t2
  for i in $(seq 1 "$n"); do
    ip netns add "ifcbench-cni$tag-$i"
    if [ "$mv" = 1 ]; then
      ip link add "ifcb${tag}m$i" link "ifcb${tag}p" type macvlan mode bridge
      ip link set "ifcb${tag}m$i" up
    fi
  done
  rm -rf "$work/ipam" "$work/state"
  call() { # command i
    local k=${keys//@I@/$2}
    printf '{"cniVersion":"1.0.0","name":"bench","type":"%s",%s}' "$bin" "$k" |
      CNI_COMMAND=$1 CNI_CONTAINERID=b$2 CNI_NETNS=/run/netns/ifcbench-cni$tag-$2 \
        CNI_IFNAME=eth0 CNI_PATH=$work/bin "$work/bin/$bin" >/dev/null
  }
  t0=$(now)
  for i in $(seq 1 "$n"); do call ADD "$i"; done
  t1=$(now)
  for i in $(seq 1 "$n"); do call DEL "$i"; done
  t2=$(now)
  for i in $(seq 1 "$n"); do
    ip netns del "ifcbench-cni$tag-$i"
    ip link del "ifcb${tag}m$i" 2>/dev/null || true
  done
  echo "$(echo "$t1 - $t0" | bc) $(echo "$t2 - $t1" | bc)"
}

ip link add "ifcb${tag}p" type veth peer name "ifcb${tag}q"
ip link set "ifcb${tag}p" up
ipam="\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$work/ipam\",\"ranges\":[[{\"subnet\":\"10.94.0.0/16\",\"gateway\":\"10.94.0.1\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}"
declare -A add del
rows=("ptp" "ifclone epair" "host-device" "ifclone move")
for r in $(seq 1 "$reps"); do
  for row in "${rows[@]}"; do
    case $row in
      ptp) out=$(sample ptp "$ipam" 0) ;;
      "ifclone epair") out=$(sample ifclone "\"mode\":\"epair\",\"stateDir\":\"$work/state\",$ipam" 0) ;;
      host-device) out=$(sample host-device "\"device\":\"ifcb${tag}m@I@\"" 1) ;;
      "ifclone move") out=$(sample ifclone "\"mode\":\"move\",\"device\":\"ifcb${tag}m@I@\",\"stateDir\":\"$work/state\"" 1) ;;
    esac
    add[$row]+="${out% *} "
    del[$row]+="${out#* } "
  done
done
stats() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%.3f | %.3f", a[1], a[int((NR+1)/2)]}'; }
echo "N=$n containers, $reps samples each (seconds for all N; min | median)"
echo
echo "| plugin | ADD min s | ADD median s | DEL min s | DEL median s | per container (ADD+DEL, medians) |"
echo "|---|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  a=$(stats <<<"${add[$row]}")
  d=$(stats <<<"${del[$row]}")
  am=${a#* | } dm=${d#* | }
  per=$(echo "scale=2; ($am + $dm) * 1000 / $n" | bc)
  echo "| $row | $a | $d | $per ms |"
done
