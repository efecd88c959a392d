#!/usr/bin/env bash
# bench/enginebundle.sh JINN ROOT RUNROOT OUT CGROUP: makes OUT a bundle of
# jinn's own spec of
# `jinn run --network none busybox true` (docker's seccomp profile, the
# masked and read-only paths, the /dev rules, a network namespace of its
# own), for `jinn-runtime run` and other runtimes to run directly: the
# runtime floor under the engine. JINN is the jinn binary, ROOT and
# RUNROOT a store of the caller's own with busybox loaded; the container
# made for the spec is removed. The root file system
# is a copy of the fixtures' busybox; bind-mounted files (hosts,
# resolv.conf, hostname) are copied into OUT. CGROUP is its cgroupsPath:
# under a parent of the caller's own, not /jinn, which every jinn store
# shares (two benches with the same path remove each other's cgroup).
set -euo pipefail
runroot=$3 out=$4 cg=$5
jinn="$1 --root $2 --runroot $runroot"
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
$jinn run -d --name bench-spec --network none busybox sleep 60 >/dev/null
id=$($jinn inspect -f '{{.Id}}' bench-spec)
mkdir -p "$out"
cp -a "$fx/busybox" "$out/rootfs"
python3 - "$runroot/containers/$id/bundle/config.json" "$out" "$cg" <<'PY'
import json, os, shutil, sys
src, b, cg = sys.argv[1], sys.argv[2], sys.argv[3]
s = json.load(open(src))
s["root"] = {"path": "rootfs"}
s["process"]["args"] = ["true"]
for n in s["linux"]["namespaces"]:
    n.pop("path", None)  # a network namespace of its own, as jinn's
s["linux"]["cgroupsPath"] = cg
for m in s["mounts"]:
    if m.get("type") == "bind" and os.path.isfile(m["source"]):
        dst = os.path.join(b, os.path.basename(m["source"]))
        shutil.copy(m["source"], dst)
        m["source"] = dst
json.dump(s, open(os.path.join(b, "config.json"), "w"))
PY
$jinn rm -f bench-spec >/dev/null
