#!/bin/sh
# Makes a minimal root filesystem from Debian's busybox-static: the fixture
# that the demo, the tests and the benchmarks run containers in.
# Usage: hack/mkrootfs-busybox.sh DIR
set -eu
dir=${1:?usage: mkrootfs-busybox.sh DIR}
bb=/bin/busybox
if [ ! -x "$bb" ] || ! "$bb" --list >/dev/null 2>&1; then
	echo "mkrootfs-busybox: $bb missing: apt-get install -y busybox-static" >&2
	exit 1
fi
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/usr/bin" "$tmp/usr/sbin" "$tmp/etc" \
	"$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp" "$tmp/root" "$tmp/var" "$tmp/home"
chmod 1777 "$tmp/tmp"
cp "$bb" "$tmp/bin/busybox"
for app in $("$bb" --list-full); do
	[ "$app" = bin/busybox ] && continue
	ln -sf /bin/busybox "$tmp/$app"
done
cat >"$tmp/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
P
cat >"$tmp/etc/group" <<'G'
root:x:0:
daemon:x:1:
nogroup:x:65534:
G
echo "127.0.0.1 localhost" >"$tmp/etc/hosts"
: >"$tmp/etc/resolv.conf"
rm -rf "$dir"
mv "$tmp" "$dir"
