#!/usr/bin/env bash
# ifclone's CNI plugin beside the reference plugins on the same set-up (as root): `move` beside
# host-device, `epair` beside ptp. Each plugin gets the same fresh netns and host interfaces; the
# end state after ADD and after DEL is read with `ip` and printed as a markdown table. Not a
# test: it shows what each plugin leaves (the closing note of the CNI issue quotes it).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
cargo build -q -p ifclone-cni
ref=/usr/lib/cni
work=$(mktemp -d /tmp/ifclone-cni-cmp.XXXXXX)
tag=$(($$ % 10000))
ns=ifct-cmp-$tag p=ifctp$tag q=ifctq$tag mv=ifctm$tag
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  for l in "$mv" "$p"; do ip link del "$l" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin"
cp target/debug/ifclone-cni "$work/bin/ifclone"
for b in host-device ptp host-local; do ln -s "$ref/$b" "$work/bin/$b"; done

cni() { # command type-and-keys ifname
  printf '{"cniVersion":"1.0.0","name":"cmp","type":%s}' "$2" |
    CNI_COMMAND=$1 CNI_CONTAINERID=cmp$tag CNI_NETNS=/run/netns/$ns CNI_IFNAME=$3 \
      CNI_PATH=$work/bin "$work/bin/$(sed 's/^"\([^"]*\)".*/\1/' <<<"$2")" >/dev/null
}
state() { # name ip-command...: "mtu N, alias A, UP|DOWN" or "absent"
  local name=$1 l
  shift
  l=$("$@" -o link show 2>/dev/null | grep -E "^[0-9]+: $name[:@]" || true)
  [ -n "$l" ] || { echo "absent"; return; }
  local mtu alias up
  mtu=$(grep -o 'mtu [0-9]*' <<<"$l")
  alias=$(grep -o 'alias .*' <<<"$l" | sed 's/\\.*//' || true)
  if grep -Eq '[<,]UP[,>]' <<<"$l"; then up=UP; else up=DOWN; fi
  echo "$mtu, ${alias:-no alias}, $up"
}

echo "| plugin | after ADD: in the container | after DEL: in the host |"
echo "|---|---|---|"
for plugin in host-device ifclone; do
  ip netns add "$ns"
  ip link add "$p" type veth peer name "$q" && ip link set "$p" up
  ip link add "$mv" link "$p" type macvlan mode bridge
  ip link set "$mv" mtu 1400 && ip link set "$mv" alias uplink-desc && ip link set "$mv" up
  case $plugin in
    host-device) keys="\"host-device\",\"device\":\"$mv\"" ;;
    ifclone) keys="\"ifclone\",\"mode\":\"move\",\"device\":\"$mv\",\"stateDir\":\"$work/state\"" ;;
  esac
  cni ADD "$keys" net1
  added="net1: $(state net1 ip -n "$ns")"
  cni DEL "$keys" net1
  deleted="$mv: $(state "$mv" ip)"
  echo "| $plugin (move a macvlan: MTU 1400, alias uplink-desc, UP) | $added | $deleted |"
  ip link del "$mv" 2>/dev/null || true
  ip link del "$p" 2>/dev/null || true
  ip netns del "$ns"
done
for plugin in ptp ifclone; do
  ip netns add "$ns"
  ipam="{\"type\":\"host-local\",\"dataDir\":\"$work/ipam-$plugin\",\"ranges\":[[{\"subnet\":\"10.95.0.0/24\",\"gateway\":\"10.95.0.1\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}"
  case $plugin in
    ptp) keys="\"ptp\",\"mtu\":1400,\"ipam\":$ipam" ;;
    ifclone) keys="\"ifclone\",\"mode\":\"epair\",\"mtu\":1400,\"stateDir\":\"$work/state\",\"ipam\":$ipam" ;;
  esac
  before=$(ip -o link show | wc -l)
  cni ADD "$keys" eth0
  host_end=$(ip -o addr show | awk '/10.95.0.1\/32/ {print $2}' | head -n1)
  route=$(ip -n "$ns" route show default | head -n1)
  added="eth0: $(state eth0 ip -n "$ns"), $(ip -n "$ns" -o -4 addr show eth0 | awk '{print $4}'), $route; host end ${host_end:-none}"
  cni DEL "$keys" eth0
  after=$(ip -o link show | wc -l)
  deleted="host interfaces $before before ADD, $after after DEL; IPAM leases left: $(ls "$work/ipam-$plugin/cmp" 2>/dev/null | grep -c '^10\.' || true)"
  echo "| $plugin (a pair, MTU 1400, host-local) | $added | $deleted |"
  ip netns del "$ns"
done
