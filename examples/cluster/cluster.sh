#!/usr/bin/env bash
# A cluster on one machine: four hosts made with network namespaces, joined by veth links to a
# bridge in a fifth namespace, on a private 10.77.0.0/24 that exists only inside them.
#
#   host 1 (10.77.0.1)  the directory
#   host 2 (10.77.0.2)  the word-count ventilator and sink
#   host 3 (10.77.0.3)  three word-count workers
#   host 4 (10.77.0.4)  an operator running `netchan ls`
#
# Usage (as root, after the build): examples/cluster/cluster.sh [BUILD_BIN_DIR [MEGABYTES]]
# Everything it creates is removed at the end, also when a step fails. Exits 0 and says why
# when network namespaces cannot be made here.
#
# On real machines the same commands run without `ip netns exec`, with the machines' addresses:
#   hostA$ netchan directory --listen tcp://0.0.0.0:7474
#   hostB$ NETCHAN_ADVERTISE_HOST=hostB wordcount --directory tcp://hostA:7474 \
#              --listen 'tcp://0.0.0.0:*' --workers 0
#   hostC$ wordcount worker tcp://hostA:7474      # as many as you like, on as many hosts
#   hostD$ netchan ls --directory tcp://hostA:7474
set -euo pipefail

bin=$(cd "${1:-$(dirname "$0")/../../build/bin}" && pwd)
megabytes=${2:-256}
prefix="nc$$"
net=10.77.0
directory="tcp://$net.1:7474"
pids=()

say() { printf '\n== %s\n' "$*"; }

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in sw h1 h2 h3 h4; do ip netns del "$prefix-$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

if [[ $(id -u) -ne 0 ]] || ! ip netns add "$prefix-sw" 2>/dev/null; then
    echo "cluster: skipped: making network namespaces needs root and CAP_SYS_ADMIN here"
    exit 0
fi
for tool in netchan wordcount; do
    [[ -x "$bin/$tool" ]] || { echo "cluster: $bin/$tool is missing: build first" >&2; exit 1; }
done

say "four hosts on $net.0/24, joined by a bridge"
ip -n "$prefix-sw" link add br0 type bridge
ip -n "$prefix-sw" link set br0 up
for i in 1 2 3 4; do
    ns="$prefix-h$i"
    ip netns add "$ns"
    ip link add "$prefix-v$i" type veth peer name "$prefix-p$i"
    ip link set "$prefix-v$i" netns "$ns" name eth0
    ip link set "$prefix-p$i" netns "$prefix-sw"
    ip -n "$prefix-sw" link set "$prefix-p$i" master br0 up
    ip -n "$ns" addr add "$net.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    echo "host $i: $ns, $net.$i"
done
# Runs a command on a host, in the foreground. (Background jobs call `ip netns exec` directly:
# it execs the command, so $! is the command's pid and cleanup can stop it.)
on() { local host=$1; shift; ip netns exec "$prefix-h$host" "$@"; }

say "host 1: the directory at $directory"
ip netns exec "$prefix-h1" "$bin/netchan" directory --listen "$directory" >/dev/null &
pids+=($!)
sleep 0.5

say "host 2: ventilator and sink; host 3: three workers"
out=$(mktemp)
ip netns exec "$prefix-h2" env NETCHAN_ADVERTISE_HOST="$net.2" timeout 120 "$bin/wordcount" \
    --directory "$directory" \
    --listen "tcp://0.0.0.0:*" --workers 0 --megabytes "$megabytes" >"$out" 2>&1 &
pipeline=$!
pids+=($pipeline)
for k in 1 2 3; do
    ip netns exec "$prefix-h3" timeout 120 "$bin/wordcount" worker "$directory" &
    pids+=($!)
done

say "host 4: netchan ls --directory $directory   (once the exports are there)"
for _ in $(seq 100); do
    on 4 timeout 10 "$bin/netchan" resolve wc.counts --directory "$directory" >/dev/null 2>&1 && break
    sleep 0.1
done
sleep 0.4 # a lease renewal or so: the importers' count is up to date
on 4 timeout 10 "$bin/netchan" ls --directory "$directory"

say "host 2: the pipeline's report"
status=0
wait "$pipeline" || status=$?
cat "$out"
rm -f "$out"
exit "$status"
