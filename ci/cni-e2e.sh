#!/usr/bin/env bash
# The CNI plugin under a real container engine, as root on Linux: Debian's podman (CNI network
# backend, runc) runs busybox containers from a local rootfs (nothing is pulled) on networks
# whose configuration uses `ifclone`:
#   - epair: a pair straight into the container, host-local IPAM; the container pings the
#     host end;
#   - move: a macvlan (MTU 1400, description "uplink-desc", UP) moved into the container,
#     host-local IPAM; the container pings a sibling macvlan in the host; `podman rm` runs DEL
#     and the macvlan is back home with its name, MTU, description and UP.
# Everything podman uses is under a scratch directory (its configuration, the networks, the
# plugins), and everything is removed at the end, also on failure. `ip` observes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
[ "$(id -u)" = 0 ] || { echo "ci/cni-e2e.sh must run as root" >&2; exit 1; }

bash ci/apt-need.sh podman runc containernetworking-plugins busybox-static

cargo build -q -p ifclone-cni
tag=$(($$ % 10000))
work=$(mktemp -d /tmp/ifclone-cni-e2e.XXXXXX)
p=ifctp$tag q=ifctq$tag mv=ifctm$tag mh=ifcth$tag
c_epair=ifct-epair-$tag c_move=ifct-move-$tag
cleanup() {
  podman rm -f "$c_epair" "$c_move" >/dev/null 2>&1 || true
  for l in "$mv" "$mh" "$p"; do ip link del "$l" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/plugins" "$work/net.d" "$work/rootfs/bin"
cp target/debug/ifclone-cni "$work/plugins/ifclone"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
# The runner's limits are lower than podman's defaults, and its cgroups are a v1/v2 hybrid that
# crun refuses: runc, and limits it may set.
cat > "$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[network]
network_backend = "cni"
cni_plugin_dirs = ["$work/plugins", "/usr/lib/cni"]
network_config_dir = "$work/net.d"
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$work/containers.conf"
ipam() { # subnet gateway
  echo "{\"type\":\"host-local\",\"dataDir\":\"$work/ipam\",\"ranges\":[[{\"subnet\":\"$1\",\"gateway\":\"$2\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}"
}
cat > "$work/net.d/ifcepair$tag.conflist" <<EOF
{"cniVersion":"1.0.0","name":"ifcepair$tag","plugins":[
  {"type":"ifclone","mode":"epair","stateDir":"$work/state","ipam":$(ipam 10.98.1.0/24 10.98.1.1)}]}
EOF
cat > "$work/net.d/ifcmove$tag.conflist" <<EOF
{"cniVersion":"1.0.0","name":"ifcmove$tag","plugins":[
  {"type":"ifclone","mode":"move","device":"$mv","stateDir":"$work/state","ipam":$(ipam 10.98.2.0/24 10.98.2.1)}]}
EOF
podman network ls --format '{{.Name}} {{.Driver}}' | grep -E "ifc(epair|move)$tag"

run() { # name network
  podman run -d --name "$1" --network "$2" --rootfs "$work/rootfs" /bin/busybox sleep 600 >/dev/null
}
in_ct() { podman exec "$1" /bin/busybox "${@:2}"; }

echo "--- epair: a pair straight into the container"
run "$c_epair" "ifcepair$tag"
in_ct "$c_epair" ip -o addr show eth0 | grep -q 'inet 10.98.1.'
in_ct "$c_epair" ip route | grep -q 'default via 10.98.1.1'
in_ct "$c_epair" ping -c1 -W3 10.98.1.1
host_end=$(ip -o addr show | awk '/10.98.1.1\/32/ {print $2}')
[ -n "$host_end" ] || { echo "no host end with 10.98.1.1" >&2; exit 1; }
echo "host end: $host_end"
podman rm -f -t 0 "$c_epair" >/dev/null
! ip link show "$host_end" >/dev/null 2>&1
echo "podman rm: the pair is gone"

echo "--- move: a macvlan with its MTU, description and UP"
ip link add "$p" type veth peer name "$q"
ip link set "$p" up && ip link set "$q" up
ip link add "$mv" link "$p" type macvlan mode bridge
ip link set "$mv" mtu 1400 && ip link set "$mv" alias uplink-desc && ip link set "$mv" up
ip link add "$mh" link "$p" type macvlan mode bridge
ip addr add 10.98.2.1/24 dev "$mh" && ip link set "$mh" up
run "$c_move" "ifcmove$tag"
! ip link show "$mv" >/dev/null 2>&1
in_ct "$c_move" ip -o link show eth0 | grep -q 'mtu 1400'
in_ct "$c_move" ip -o addr show eth0 | grep -q 'inet 10.98.2.'
in_ct "$c_move" ping -c1 -W3 10.98.2.1
podman rm -f -t 0 "$c_move" >/dev/null
back=$(ip -o link show "$mv")
echo "back home: $back"
grep -q 'mtu 1400' <<<"$back"
grep -q 'alias uplink-desc' <<<"$back"
grep -Eq '[<,]UP[,>]' <<<"$back"
[ -z "$(ls "$work/state"/*.json 2>/dev/null)" ] || { echo "records left behind" >&2; exit 1; }
echo "CNI end-to-end under podman passed"
