#!/bin/bash
# Packs a root filesystem directory as a one-layer docker-archive image (the
# format `docker save` writes and `jinn load` / `podman load` read), without
# any engine: a reproducible fixture builder.
# Usage: hack/mkimage.sh ROOTFS NAME:TAG OUT.tar [CMD-JSON] [ENV-JSON] [EXPOSED-PORTS-JSON]
set -euo pipefail
rootfs=${1:?usage: mkimage.sh ROOTFS NAME:TAG OUT.tar [CMD-JSON] [ENV-JSON] [PORTS-JSON]}
name=${2:?name:tag}
out=${3:?output tar}
cmd=${4:-'["sh"]'}
env=${5:-'["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'}
ports=${6:-'{}'}
work=$(mktemp -d "${out}.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar --sort=name --numeric-owner --mtime=@0 --format=pax --pax-option=delete=atime,delete=ctime \
	-C "$rootfs" -cf "$work/layer.tar" .
diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mv "$work/layer.tar" "$work/$diff.tar"
cat >"$work/config.json" <<J
{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
 "config":{"Env":$env,"Cmd":$cmd,"ExposedPorts":$ports},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff"]},
 "history":[{"created":"2024-01-01T00:00:00Z","created_by":"hack/mkimage.sh $name"}]}
J
cfg=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/$cfg.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s.tar"]}]' "$cfg" "$name" "$diff" >"$work/manifest.json"
tar --numeric-owner --mtime=@0 -C "$work" -cf "$out.tmp" manifest.json "$cfg.json" "$diff.tar"
mv "$out.tmp" "$out"
