#!/usr/bin/env bash
# Network throughput and latency, side by side, with the same tools
# (busybox httpd and wget) everywhere:
#   host loopback vs container -> container on jinn's bridge vs
#   host -> published port on 127.0.0.1 (DNAT) vs host -> container address.
# Traffic stays on loopback and in namespaces jinn creates. podman is not
# compared: its netavark would write firewall rules outside jinn's tables.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${JINN_BIN:-$PWD/bin}
FIX=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
MB=${MB:-512}
tmp=$(mktemp -d)
J="$BIN/jinn --root $tmp/root --runroot $tmp/run"
BB=$FIX/busybox/bin/busybox
hostpid=
cleanup() {
	$J rm -f $($J ps -aq) >/dev/null 2>&1 || true
	$J system prune -f >/dev/null 2>&1 || true # the default bridge stays up until pruned
	[ -n "$hostpid" ] && kill "$hostpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
cp -a "$FIX/busybox" "$tmp/rootfs"
mkdir -p "$tmp/rootfs/www"
head -c 1024 /dev/zero >"$tmp/rootfs/www/small"
dd if=/dev/zero of="$tmp/rootfs/www/big" bs=1M count="$MB" status=none

now() { date +%s%N; }
mbps() { echo $((MB * 1000000000 / ($2 - $1 - ${3:-0}))); } # START END [OVERHEAD]

$BB httpd -f -p 127.0.0.1:39080 -h "$tmp/rootfs/www" & hostpid=$!
$J run -d --name web -p 127.0.0.1::80 --rootfs "$tmp/rootfs" httpd -f -p 80 -h /www >/dev/null
$J run -d --name client --rootfs "$tmp/rootfs" sleep 1000 >/dev/null
wp=$($J port web 80 | cut -d: -f2)
wip=$($J exec web sh -c "ip -4 -o addr show eth0 | awk '{print \$4}' | cut -d/ -f1")
sleep 0.3
get() { $BB wget -qO /dev/null "$1"; }

s=$(now); get http://127.0.0.1:39080/big; e=$(now); lo=$(mbps $s $e)
s=$(now); get "http://127.0.0.1:$wp/big"; e=$(now); pub=$(mbps $s $e)
s=$(now); get "http://$wip/big"; e=$(now); direct=$(mbps $s $e)
# container -> container: timed around jinn exec, minus an empty exec
s=$(now); $J exec client true; e=$(now); ov=$((e - s))
s=$(now); $J exec client wget -qO /dev/null "http://$wip/big"; e=$(now); c2c=$(mbps $s $e $ov)

echo "throughput, one ${MB} MiB HTTP download (busybox wget from busybox httpd), MB/s"
printf '  %-36s %6s\n' "host loopback" "$lo" "host -> published 127.0.0.1 port" "$pub" \
	"host -> container address" "$direct" "container -> container (bridge)" "$c2c"
echo "latency, one 1 KiB HTTP request (hyperfine, 300 runs)"
hyperfine -N -w 20 -r 300 --style basic \
	-n "host loopback" "$BB wget -qO /dev/null http://127.0.0.1:39080/small" \
	-n "published 127.0.0.1 port" "$BB wget -qO /dev/null http://127.0.0.1:$wp/small" \
	-n "container address" "$BB wget -qO /dev/null http://$wip/small" 2>&1 | grep -E 'Time|^Benchmark' || true
