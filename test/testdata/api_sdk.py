# Drives jinn system service with Python's Docker SDK (Debian python3-docker 5.0):
# containers, logs streaming, events, exec, images, build, networks, volumes.
# Run by test/api_sdk_test.go: api_sdk.py unix:///path/docker.sock
import sys, time, threading, docker

c = docker.DockerClient(base_url=sys.argv[1])
assert c.ping()
v = c.version()
assert v["ApiVersion"] == "1.50", v
print("info", c.info()["Containers"] >= 0)

# containers: run to completion, exit codes, detached, logs streaming
out = c.containers.run("busybox", ["echo", "hello sdk"], remove=True)
assert out == b"hello sdk\n", out
try:
    c.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 3"], remove=True, stderr=True)
    raise SystemExit("no ContainerError")
except docker.errors.ContainerError as e:
    assert e.exit_status == 3, e
try:
    c.containers.get("nosuch")
    raise SystemExit("no NotFound")
except docker.errors.NotFound as e:
    assert "No such container: nosuch" in str(e), e

events = []
since = time.time() - 1
def watch():
    for ev in c.events(decode=True, filters={"type": "container", "event": ["start", "die"]}, since=since):
        events.append((ev["Action"], ev["Actor"]["Attributes"].get("name")))
        if ev["Action"] == "die" and ev["Actor"]["Attributes"].get("name") == "sdk1":
            return
t = threading.Thread(target=watch, daemon=True)
t.start()

ctr = c.containers.run("busybox", ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.2; done"], detach=True, name="sdk1", labels={"k": "v"})
lines = [l for l in ctr.logs(stream=True, follow=True)]
assert b"".join(lines) == b"line 1\nline 2\nline 3\n", lines
r = ctr.wait()
assert r["StatusCode"] == 0, r
ctr.reload()
assert ctr.status == "exited" and ctr.labels == {"k": "v"}, (ctr.status, ctr.labels)
assert [x.name for x in c.containers.list(all=True, filters={"label": "k=v"})] == ["sdk1"]
t.join(10)
assert ("start", "sdk1") in events and ("die", "sdk1") in events, events
ctr.remove()

# exec
box = c.containers.run("busybox", ["sleep", "600"], detach=True, name="sdkbox")
res = box.exec_run(["sh", "-c", "echo out; echo err >&2; exit 4"], demux=True)
assert res.exit_code == 4 and res.output == (b"out\n", b"err\n"), res
res = box.exec_run("id -u", user="65534")
assert res.output.strip() == b"65534", res
assert box.top()["Processes"], box.top()

# images
img = c.images.get("busybox")
assert "busybox:latest" in img.tags, img.tags
img.tag("sdk/busybox", "t1")
assert any("sdk/busybox:t1" in i.tags for i in c.images.list())
c.images.remove("sdk/busybox:t1")
built, logs = c.images.build(fileobj=__import__("io").BytesIO(b"FROM busybox\nRUN echo built > /b\nCMD cat /b\n"), tag="sdkbuilt:1", rm=True)
assert c.containers.run("sdkbuilt:1", remove=True) == b"built\n"

# networks and volumes
net = c.networks.create("sdknet", driver="bridge", labels={"a": "b"})
vol = c.volumes.create("sdkvol", labels={"a": "b"})
assert c.networks.get("sdknet").attrs["Labels"] == {"a": "b"}
assert c.volumes.get("sdkvol").attrs["Mountpoint"]
out = c.containers.run("busybox", ["sh", "-c", "echo v > /v/f; cat /v/f"], volumes={"sdkvol": {"bind": "/v", "mode": "rw"}}, network="sdknet", remove=True)
assert out == b"v\n", out
box.remove(force=True)
net.remove()
vol.remove()
assert not c.volumes.list()
print("sdk ok")
