package test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeSystemd answers the two calls of systemd's D-Bus API that
// `--systemd-cgroup` makes (StartTransientUnit, StopUnit) on a private
// bus, as systemd would: it moves the unit's PIDs into the unit's cgroup
// and reports the job done with JobRemoved. systemd cannot be PID 1 in a
// test, so this is the one thing mocked; the bus is a real dbus-daemon.
type fakeSystemd struct {
	conn   *dbus.Conn
	mounts []string // cgroup mount points

	mu    sync.Mutex
	job   uint32
	calls []string                           // "start UNIT", "stop UNIT"
	props map[string]map[string]dbus.Variant // of each started unit
}

type sdProp struct {
	Name  string
	Value dbus.Variant
}

type sdAux struct {
	Name  string
	Props []sdProp
}

func (f *fakeSystemd) StartTransientUnit(name, mode string, props []sdProp, aux []sdAux) (dbus.ObjectPath, *dbus.Error) {
	m := map[string]dbus.Variant{}
	for _, p := range props {
		m[p.Name] = p.Value
	}
	f.mu.Lock()
	f.calls = append(f.calls, "start "+name)
	f.props[name] = m
	f.mu.Unlock()
	// systemd puts the unit's processes into its cgroup, a top-level
	// slice's child here (the test's slice has no dash).
	slice, _ := m["Slice"].Value().(string)
	pids, _ := m["PIDs"].Value().([]uint32)
	for _, mnt := range f.mounts {
		dir := filepath.Join(mnt, slice, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", dbus.MakeFailedError(err)
		}
		for _, pid := range pids {
			if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(int(pid))), 0); err != nil {
				return "", dbus.MakeFailedError(fmt.Errorf("move %d into %s: %w", pid, dir, err))
			}
		}
	}
	return f.done(name), nil
}

func (f *fakeSystemd) StopUnit(name, mode string) (dbus.ObjectPath, *dbus.Error) {
	f.mu.Lock()
	f.calls = append(f.calls, "stop "+name)
	f.mu.Unlock()
	return f.done(name), nil
}

// done makes a job and reports it finished. go-systemd holds its job
// table's lock from the call until the job is listed, so the signal may
// go out before the reply.
func (f *fakeSystemd) done(unit string) dbus.ObjectPath {
	f.mu.Lock()
	f.job++
	id := f.job
	f.mu.Unlock()
	job := dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/systemd1/job/%d", id))
	f.conn.Emit("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager.JobRemoved", id, job, unit, "done")
	return job
}

func (f *fakeSystemd) history() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// startFakeSystemd starts a private dbus-daemon in dir and the stand-in
// systemd on it; it returns the bus address.
func startFakeSystemd(t *testing.T, dir string) (*fakeSystemd, string) {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon is not installed (Debian: dbus)")
	}
	sock := filepath.Join(dir, "bus")
	cfg := filepath.Join(dir, "bus.conf")
	conf := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=` + sock + `</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+cfg, "--nofork", "--nopidfile", "--nosyslog")
	// Its stderr stays closed: it warns that it cannot raise its fd limit
	// (no CAP_SYS_RESOURCE here), which is harmless.
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "unix:path=" + sock
	var conn *dbus.Conn
	for i := 0; ; i++ {
		if conn, err = dbus.Connect(addr); err == nil {
			break
		}
		if i == 200 {
			t.Fatalf("connect to the private bus: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakeSystemd{conn: conn, mounts: cgroupMounts(t), props: map[string]map[string]dbus.Variant{}}
	if err := conn.Export(f, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.freedesktop.systemd1", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own org.freedesktop.systemd1 on the private bus: %v %v", r, err)
	}
	return f, addr
}

// TestRuntimeSystemdCgroupDBus: with --systemd-cgroup and a cgroupsPath
// "slice:prefix:name", jinn-runtime makes the container a transient scope
// through systemd's D-Bus API (runc's --systemd-cgroup): a scope
// "prefix-name.scope" in the slice, holding the init's PID, with
// Delegate=yes; the limits are written into that scope's cgroup; delete
// stops the unit and removes the cgroup. The runtime runs in a private
// mount namespace whose /run/systemd/system says systemd is the init
// system, with the system bus at a private dbus-daemon.
func TestRuntimeSystemdCgroupDBus(t *testing.T) {
	if pureCgroup2() {
		t.Skip("the stand-in systemd moves processes on cgroup v1 and hybrid hierarchies only")
	}
	needCgroupV1(t, "memory")
	if !exists("/run/systemd") {
		t.Skip("no /run/systemd to mask with a private /run/systemd/system")
	}
	dir := t.TempDir()
	sd, addr := startFakeSystemd(t, dir)
	b := make([]byte, 4)
	rand.Read(b)
	slice := "jinnsdtest" + hex.EncodeToString(b) + ".slice"
	e := newRT(t, func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "100"}
		limit := int64(64 << 20)
		s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	})
	wrapper := filepath.Join(dir, "jinn-runtime-sd")
	script := `#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec "$@"' sh env DBUS_SYSTEM_BUS_ADDRESS=` + addr + ` ` + e.bin + ` "$@"
`
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e.bin = wrapper
	e.flags = []string{"--systemd-cgroup"}
	t.Cleanup(func() {
		e.cleanup()
		for _, mnt := range cgroupMounts(t) {
			ents, _ := os.ReadDir(filepath.Join(mnt, slice))
			for _, d := range ents {
				if d.IsDir() {
					os.Remove(filepath.Join(mnt, slice, d.Name()))
				}
			}
			os.Remove(filepath.Join(mnt, slice))
		}
	})
	id := newID("sd")
	unit := "jinn-" + id + ".scope"
	e.edit(func(s *specs.Spec) { s.Linux.CgroupsPath = slice + ":jinn:" + id })
	e.must("create", id)
	pid := e.state(id).Pid

	if got := sd.history(); len(got) != 1 || got[0] != "start "+unit {
		t.Fatalf("systemd calls after create = %q, want [start %s]", got, unit)
	}
	p := sd.props[unit]
	if v, _ := p["Slice"].Value().(string); v != slice {
		t.Errorf("Slice = %v, want %s", p["Slice"], slice)
	}
	if v, _ := p["Delegate"].Value().(bool); !v {
		t.Errorf("Delegate = %v, want true", p["Delegate"])
	}
	if v, _ := p["PIDs"].Value().([]uint32); len(v) != 1 || int(v[0]) != pid {
		t.Errorf("PIDs = %v, want [%d]", p["PIDs"], pid)
	}
	want := "/" + slice + "/" + unit
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cg), ":memory:"+want+"\n") {
		t.Errorf("init's cgroups:\n%s\nwant memory at %s", cg, want)
	}
	lim, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", slice, unit, "memory.limit_in_bytes"))
	if err != nil || strings.TrimSpace(string(lim)) != strconv.Itoa(64<<20) {
		t.Errorf("memory.limit_in_bytes of the scope = %q (%v), want %d", lim, err, 64<<20)
	}

	e.must("start", id)
	e.must("delete", "--force", id)
	if got := sd.history(); len(got) != 2 || got[1] != "stop "+unit {
		t.Errorf("systemd calls after delete = %q, want stop %s last", got, unit)
	}
	for _, mnt := range cgroupMounts(t) {
		if p := filepath.Join(mnt, slice, unit); exists(p) {
			t.Errorf("scope cgroup %s left after delete", p)
		}
	}
}
