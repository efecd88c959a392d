#!/bin/bash
# Makes nginx and redis images from the host's Debian binaries and the
# libraries they link (ldd) on top of the busybox rootfs; cached.
# Usage: hack/mkimage-debian-app.sh nginx|redis [OUT.tar]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
app=${1:?usage: mkimage-debian-app.sh nginx|redis [OUT.tar]}
out=${2:-$fx/images/$app.tar}
# Cached: remade when missing or when these scripts change.
stamp=$(cat "$0" "$here/mkimage.sh" | sha256sum | cut -c1-16)
[ -s "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ] && exit 0
mkdir -p "$(dirname "$out")"
[ -x "$fx/busybox/bin/busybox" ] || "$here/mkrootfs-busybox.sh" "$fx/busybox"
root=$(mktemp -d "$out.rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
cp -a "$fx/busybox/." "$root/"
copy() { # copy files with their parent dirs, symlinks dereferenced (usrmerge)
	local f
	for f in "$@"; do
		[ -e "$f" ] || continue
		mkdir -p "$root$(dirname "$f")"
		cp -L --preserve=mode,ownership "$f" "$root$f"
	done
}
withlibs() {
	local b
	for b in "$@"; do
		copy "$b"
		copy $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*' || true)
	done
}
case "$app" in
nginx)
	command -v nginx >/dev/null || { echo "mkimage: nginx missing: apt-get install -y nginx-light" >&2; exit 1; }
	withlibs "$(command -v nginx)"
	mkdir -p "$root/etc/nginx" "$root/var/log/nginx" "$root/var/lib/nginx" "$root/run" "$root/usr/share/nginx/html"
	cp /etc/nginx/mime.types "$root/etc/nginx/"
	echo "www-data:x:33:33:www-data:/var/www:/bin/false" >>"$root/etc/passwd"
	echo "www-data:x:33:" >>"$root/etc/group"
	echo "<h1>Welcome to jinn's nginx</h1>" >"$root/usr/share/nginx/html/index.html"
	cat >"$root/etc/nginx/nginx.conf" <<'C'
user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /dev/stderr;
events { worker_connections 256; }
http {
	include /etc/nginx/mime.types;
	access_log /dev/stdout;
	server { listen 80; root /usr/share/nginx/html; }
}
C
	"$here/mkimage.sh" "$root" nginx:latest "$out" '["nginx","-g","daemon off;"]' \
		'["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]' '{"80/tcp":{}}'
	;;
redis)
	command -v redis-server >/dev/null || { echo "mkimage: redis-server missing: apt-get install -y redis-server" >&2; exit 1; }
	withlibs "$(command -v redis-server)" "$(command -v redis-cli)"
	mkdir -p "$root/data"
	"$here/mkimage.sh" "$root" redis:latest "$out" '["redis-server","--protected-mode","no","--dir","/data"]' \
		'["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]' '{"6379/tcp":{}}'
	;;
*) echo "mkimage: unknown app $app" >&2; exit 1 ;;
esac
echo "$stamp" >"$out.stamp"
