package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// podConfig is a CRI PodSandboxConfig as crictl reads it; parent, if set,
// is linux.cgroup_parent as kubelet's cgroupfs driver gives it.
func (e *criEnv) podConfig(name, parent string) string {
	uid := randHex(8)
	linux := map[string]any{}
	if parent != "" {
		linux["cgroup_parent"] = parent
	}
	return e.writeJSON(name+"-pod.json", map[string]any{
		"metadata":      map[string]any{"name": name, "namespace": "jinn-test", "uid": uid, "attempt": 0},
		"log_directory": filepath.Join(e.dir, "logs", name),
		"linux":         linux,
	})
}

func (e *criEnv) ctrConfig(name string, cmd []string, linux map[string]any) string {
	return e.writeJSON(name+"-ctr.json", map[string]any{
		"metadata": map[string]any{"name": name},
		"image":    map[string]any{"image": e.registry + "/e2e-test-images/busybox:1.29-2"},
		"command":  cmd,
		"log_path": name + ".log",
		"linux":    linux,
	})
}

// inspect returns crictl inspect's JSON for a container.
func (e *criEnv) inspect(id string) map[string]any {
	e.t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(e.crictlOK("inspect", id)), &v); err != nil {
		e.t.Fatalf("crictl inspect %s: %v", id, err)
	}
	return v
}

func (e *criEnv) pid(id string) int {
	info, _ := e.inspect(id)["info"].(map[string]any)
	pid, _ := info["pid"].(float64)
	if pid == 0 {
		e.t.Fatalf("no pid for %s", id)
	}
	return int(pid)
}

// procCgroups reads /proc/PID/cgroup as hierarchy → path.
func procCgroups(t *testing.T, pid int) map[string]string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 {
			m[f[0]+":"+f[1]] = f[2]
		}
	}
	return m
}

// TestCRILifecycle drives a pod through crictl with handler jinn: runp,
// create, start, exec, logs, stop, rm; the pod's cgroup_parent holds its
// sandbox and containers on every hierarchy (name=systemd included), and
// a memory hog is reported as OOMKilled.
func TestCRILifecycle(t *testing.T) {
	e := startCRI(t)
	e.crictlOK("pull", e.registry+"/e2e-test-images/busybox:1.29-2")
	// kubelet's cgroupfs driver: /kubepods[/qos]/pod<uid>; containerd puts
	// the sandbox and each container at <cgroup_parent>/<id>.
	top := "/kubepods-" + randHex(4)
	t.Cleanup(func() { removeCgroups(top); removeCgroups("/jinn" + top) })
	parent := top + "/pod" + randHex(8)

	outer := t
	for _, handler := range []string{"jinn", "jinn-shim", "runc"} {
		t.Run(handler, func(t *testing.T) {
			e.t = t
			defer func() { e.t = outer }()
			pod := e.podConfig("life-"+handler, parent+"-"+handler)
			p := e.crictlOK("runp", "--runtime", handler, pod)
			ctr := e.ctrConfig("c1", []string{"sh", "-c", "echo hello-cri; echo to-stderr >&2; exec sleep 1000"}, nil)
			c := e.crictlOK("create", p, ctr, pod)
			e.crictlOK("start", c)
			e.waitState(c, "CONTAINER_RUNNING", 10*time.Second)
			if out := e.crictlOK("exec", "-s", c, "sh", "-c", "echo exec-ok; id -u"); out != "exec-ok\n0" {
				t.Errorf("exec: %q", out)
			}
			waitFor(t, 5*time.Second, "logs", func() bool {
				out, _ := e.crictl("logs", c)
				return strings.Contains(out, "hello-cri") && strings.Contains(out, "to-stderr")
			})

			want := parent + "-" + handler + "/"
			var sandbox map[string]any
			json.Unmarshal([]byte(e.crictlOK("inspectp", p)), &sandbox)
			info, _ := sandbox["info"].(map[string]any)
			spid, _ := info["pid"].(float64)
			for who, pid := range map[string]int{"sandbox": int(spid), "container": e.pid(c)} {
				cg := procCgroups(t, pid)
				for h, path := range cg {
					if h == "0:" && path == "/" {
						continue // the hybrid host's cgroup2 holds no controller of a container
					}
					if !strings.HasPrefix(path, want) {
						t.Errorf("%s %s: %s cgroup %s, not below %s", handler, who, h, path, want)
					}
				}
			}

			e.crictlOK("stop", "-t", "2", c)
			e.waitState(c, "CONTAINER_EXITED", 10*time.Second)
			e.crictlOK("rm", c)
			if out := e.crictlOK("ps", "-a", "-q", "-p", p); out != "" {
				t.Errorf("containers left in the pod: %s", out)
			}
			e.crictlOK("stopp", p)
			e.crictlOK("rmp", p)
		})
	}
}

// TestCRIOOMKilled: a memory hog in a pod with a memory limit is killed
// by the kernel and CRI reports it as reason OOMKilled, exit code 137.
func TestCRIOOMKilled(t *testing.T) {
	e := startCRI(t)
	e.crictlOK("pull", e.registry+"/e2e-test-images/busybox:1.29-2")
	top := "/kubepods-" + randHex(4)
	t.Cleanup(func() { removeCgroups(top); removeCgroups("/jinn" + top) })
	outer := t
	for _, handler := range []string{"jinn", "jinn-shim"} {
		t.Run(handler, func(t *testing.T) {
			e.t = t
			defer func() { e.t = outer }()
			pod := e.podConfig("oom-"+handler, top+"/burstable/pod"+randHex(8))
			p := e.crictlOK("runp", "--runtime", handler, pod)
			ctr := e.ctrConfig("hog", []string{"sh", "-c", "x=a; while true; do x=$x$x; done"},
				map[string]any{"resources": map[string]any{"memory_limit_in_bytes": 32 << 20}})
			c := e.crictlOK("create", p, ctr, pod)
			e.crictlOK("start", c)
			e.waitState(c, "CONTAINER_EXITED", 60*time.Second)
			st, _ := e.inspect(c)["status"].(map[string]any)
			if st["reason"] != "OOMKilled" || st["exitCode"] != float64(137) {
				t.Fatalf("hog: reason %v, exit code %v, want OOMKilled 137", st["reason"], st["exitCode"])
			}
			e.crictlOK("rm", c)
			e.crictlOK("stopp", p)
			e.crictlOK("rmp", p)
		})
	}
}
