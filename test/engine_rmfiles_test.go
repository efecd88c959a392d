package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEngineRmNetFilesOnRunRoot: a --rm container's hosts, hostname and
// resolv.conf are in its state directory on the run root (not written to
// and removed from the root's file system on every run), inspect names
// them there, a --network container: joiner copies them from there, and
// they go with the container; a kept container's stay in its directory.
func TestEngineRmNetFilesOnRunRoot(t *testing.T) {
	j := newJinn(t, "")
	img := j.image()
	c := j.cmd("run", "--rm", "--network", "none", "--hostname", "rmfiles", "--add-host", "db:10.1.2.3", "--name", "rmfiles", img[0], "sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	var id string
	waitFor(t, 10*time.Second, "the container to run", func() bool {
		id = strings.TrimSpace(j.ok("ps", "-q", "--no-trunc", "-f", "name=rmfiles"))
		return id != ""
	})
	state := filepath.Join(j.runroot, "containers", id)
	for _, f := range []string{"hosts", "hostname", "resolv.conf"} {
		if _, err := os.Stat(filepath.Join(state, f)); err != nil {
			t.Errorf("%s not in the state directory: %v", f, err)
		}
		if _, err := os.Stat(filepath.Join(j.root, "containers", id, f)); !os.IsNotExist(err) {
			t.Errorf("%s in the container's directory: %v", f, err)
		}
	}
	got := j.ok("inspect", "-f", "{{.HostsPath}} {{.HostnamePath}} {{.ResolvConfPath}}", "rmfiles")
	want := filepath.Join(state, "hosts") + " " + filepath.Join(state, "hostname") + " " + filepath.Join(state, "resolv.conf")
	if strings.TrimSpace(got) != want {
		t.Errorf("inspect paths %q, want %q", got, want)
	}
	if out := j.ok("exec", "rmfiles", "cat", "/etc/hostname", "/etc/hosts"); !strings.Contains(out, "rmfiles") || !strings.Contains(out, "10.1.2.3") {
		t.Errorf("files in the container: %q", out)
	}
	if out := j.ok("run", "--rm", "--network", "container:rmfiles", img[0], "cat", "/etc/hosts"); !strings.Contains(out, "10.1.2.3") {
		t.Errorf("a joiner's hosts: %q", out)
	}
	j.ok("rm", "-f", "rmfiles")
	c.Wait()
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state directory left: %v", err)
	}
	// Kept: in the container's directory, as before.
	j.ok("create", "--network", "none", "--name", "kept", img[0], "true")
	id = strings.TrimSpace(j.ok("inspect", "-f", "{{.Id}}", "kept"))
	j.ok("start", "-a", "kept")
	if _, err := os.Stat(filepath.Join(j.root, "containers", id, "hosts")); err != nil {
		t.Errorf("a kept container's hosts: %v", err)
	}
	if got := j.ok("inspect", "-f", "{{.HostsPath}}", "kept"); strings.TrimSpace(got) != filepath.Join(j.root, "containers", id, "hosts") {
		t.Errorf("a kept container's HostsPath %q", got)
	}
	j.ok("rm", "kept")
}

// TestAPIInspectRmNetFiles: the Engine API's inspect names a --rm
// container's hosts files where they are, as the CLI's inspect does.
func TestAPIInspectRmNetFiles(t *testing.T) {
	a := newAPI(t)
	img := a.image()
	for _, rm := range []bool{true, false} {
		args := []string{"run", "-d", "--network", "none", img[0], "sleep", "30"}
		if rm {
			args = append(args[:2], append([]string{"--rm"}, args[2:]...)...)
		}
		id := strings.TrimSpace(a.ok(args...))
		code, body, _ := a.get("GET", "/containers/"+id+"/json", "")
		var doc struct{ HostsPath, HostnamePath, ResolvConfPath string }
		if code != 200 || json.Unmarshal([]byte(body), &doc) != nil {
			t.Fatalf("inspect: %d %s", code, body)
		}
		cli := strings.TrimSpace(a.ok("inspect", "-f", "{{.HostsPath}} {{.HostnamePath}} {{.ResolvConfPath}}", id))
		if got := doc.HostsPath + " " + doc.HostnamePath + " " + doc.ResolvConfPath; got != cli {
			t.Errorf("rm=%v: API %q, CLI %q", rm, got, cli)
		}
		if _, err := os.Stat(doc.HostsPath); err != nil {
			t.Errorf("rm=%v: API's HostsPath: %v", rm, err)
		}
		a.ok("rm", "-f", id)
	}
}
