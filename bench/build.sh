#!/usr/bin/env bash
# bench/build.sh: a 10-step Dockerfile built cold (empty cache, --no-cache)
# and rebuilt with the cache, by jinn and by `podman build`, side by side.
# Each tool has its own temporary store; both start FROM the same busybox
# image made from the fixture root filesystem (jinn: FROM scratch + ADD;
# podman: podman import).
set -euo pipefail
cd "$(dirname "$0")/.."
JINN=${JINN:-$PWD/bin/jinn}
FIXTURES=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
RUNS=${RUNS:-10}
for t in hyperfine podman runc; do
	command -v $t >/dev/null || { echo "bench/build.sh: $t missing (make deps)" >&2; exit 1; }
done
[ -x "$JINN" ] || { echo "bench/build.sh: $JINN missing (make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/jinn-bench-build.XXXXXX)
pod="podman --root $work/podman/root --runroot $work/podman/run --cgroup-manager cgroupfs --runtime runc --storage-driver overlay --events-backend none"
cleanup() {
	$pod rm -af >/dev/null 2>&1 || true
	$pod system reset -f >/dev/null 2>&1 || true
	grep -o " $work[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
jinn="$JINN --root $work/jinn/root --runroot $work/jinn/run"

mkdir -p "$work/base" "$work/ctx/src"
tar -C "$FIXTURES/busybox" -cf "$work/base/rootfs.tar" .
printf 'FROM scratch\nADD rootfs.tar /\nCMD ["sh"]\n' > "$work/base/Dockerfile"
$jinn build -q -t busybox "$work/base" >/dev/null
$pod import -q "$work/base/rootfs.tar" localhost/busybox:latest >/dev/null

for i in 1 2 3 4 5; do head -c 65536 /dev/urandom > "$work/ctx/src/blob$i"; done
echo 'echo hello from the app' > "$work/ctx/src/app.sh"
cat > "$work/ctx/Dockerfile" <<'EOF'
FROM localhost/busybox:latest
ARG VERSION=1
ENV APP=/app VERSION=$VERSION
WORKDIR /app
COPY src/ ./src/
RUN cp src/app.sh /usr/local/bin/app 2>/dev/null || (mkdir -p /usr/local/bin && cp src/app.sh /usr/local/bin/app)
RUN chmod +x /usr/local/bin/app && sha256sum src/blob* > sums
LABEL org.example.bench=build
EXPOSE 8080
CMD ["sh", "/usr/local/bin/app"]
EOF
# jinn resolves "localhost/busybox:latest" the same as busybox.
$jinn build -q -t localhost/busybox:latest "$work/base" >/dev/null

echo "## cold: every step runs (--no-cache), jinn vs podman build"
hyperfine -N --warmup 1 --runs "$RUNS" \
	-n "jinn build (cold)" "$jinn build -q --no-cache $work/ctx" \
	-n "podman build (cold)" "$pod build -q --no-cache --network none $work/ctx"
echo
echo "## cached: nothing changed, jinn vs podman build"
$jinn build -q "$work/ctx" >/dev/null
$pod build -q --network none "$work/ctx" >/dev/null
hyperfine -N --warmup 2 --runs "$RUNS" \
	-n "jinn build (cached)" "$jinn build -q $work/ctx" \
	-n "podman build (cached)" "$pod build -q --network none $work/ctx"
