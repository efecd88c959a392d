package test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The engine's own file access to a container's files (cp, user lookup):
// a container plants FIFOs and device nodes where the engine reads, and
// the engine must neither block nor open a device.

// runWithin runs jinn, killing it (a process this test started) if it
// takes longer than d: a hang is a failure, not a stuck suite.
func (j *jinnEnv) runWithin(d time.Duration, args ...string) (string, string, int, bool) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	c := j.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	c.WaitDelay = 2 * time.Second // a killed exec's process may hold the pipes
	if err := c.Start(); err != nil {
		j.t.Fatalf("jinn %v: %v", args, err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	var err error
	timedOut := false
	select {
	case err = <-done:
	case <-ctx.Done():
		c.Process.Kill()
		err = <-done
		timedOut = true
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code, timedOut
}

// tarEntries lists a tar stream's entries by name.
func tarEntries(t *testing.T, data string) map[string]*tar.Header {
	t.Helper()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(strings.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		out[strings.TrimSuffix(h.Name, "/")] = h
	}
}

func TestSecurityEngineCpSpecialFiles(t *testing.T) {
	j := newJinn(t, "")
	j.ok(j.runArgs([]string{"-d", "--name", "sp"}, "sh", "-c",
		"mkdir /sp && mkfifo /sp/fifo && mknod /sp/zero c 1 5 && mknod /sp/blk b 7 0 && echo hi > /sp/f && touch /sp/ready; exec sleep 1000")...)
	waitFor(t, 10*time.Second, "the container's files", func() bool {
		_, _, code := j.run("exec", "sp", "test", "-e", "/sp/ready")
		return code == 0
	})
	check := func(state string) {
		// A lone FIFO: an entry, not a read that waits for a writer.
		out, errs, code, hung := j.runWithin(20*time.Second, "cp", "sp:/sp/fifo", "-")
		if hung || code != 0 {
			t.Fatalf("%s: cp of a FIFO: hung=%v exit %d: %s", state, hung, code, errs)
		}
		if h := tarEntries(t, out)["fifo"]; h == nil || h.Typeflag != tar.TypeFifo {
			t.Fatalf("%s: cp of a FIFO gave %+v", state, h)
		}
		// The directory: each special file as its kind, /dev/zero not read.
		out, errs, code, hung = j.runWithin(20*time.Second, "cp", "sp:/sp", "-")
		if hung || code != 0 {
			t.Fatalf("%s: cp of a directory with special files: hung=%v exit %d: %s", state, hung, code, errs)
		}
		ents := tarEntries(t, out)
		want := map[string]byte{"sp/fifo": tar.TypeFifo, "sp/zero": tar.TypeChar, "sp/blk": tar.TypeBlock, "sp/f": tar.TypeReg}
		for name, typ := range want {
			h := ents[name]
			if h == nil || h.Typeflag != typ {
				t.Errorf("%s: %s: entry %+v, want type %c", state, name, h, typ)
				continue
			}
			if typ == tar.TypeChar && (h.Devmajor != 1 || h.Devminor != 5 || h.Size != 0) {
				t.Errorf("%s: char device entry %+v", state, h)
			}
		}
		// To the host: a FIFO is made as a FIFO.
		dst := filepath.Join(t.TempDir(), "out")
		if _, errs, code, hung := j.runWithin(20*time.Second, "cp", "sp:/sp/fifo", dst); hung || code != 0 {
			t.Fatalf("%s: cp of a FIFO to the host: hung=%v exit %d: %s", state, hung, code, errs)
		}
		var st unix.Stat_t
		if err := unix.Lstat(dst, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
			t.Errorf("%s: host copy of a FIFO: mode %o, %v", state, st.Mode, err)
		}
	}
	check("running")
	j.ok("stop", "-t", "1", "sp")
	check("stopped")
}

func TestSecurityEngineUserLookupSpecialFiles(t *testing.T) {
	j := newJinn(t, "")
	// /etc/passwd a FIFO, /etc/group a device node (/dev/zero's numbers),
	// /etc/shadow a link to the container's /dev/zero.
	plant := "rm -f /etc/passwd /etc/group && mkfifo /etc/passwd && mknod /etc/group c 1 5 && touch /ready; exec sleep 1000"
	j.ok(j.runArgs([]string{"-d", "--name", "u"}, "sh", "-c", plant)...)
	waitFor(t, 10*time.Second, "the planted files", func() bool {
		_, _, code := j.run("exec", "u", "test", "-e", "/ready")
		return code == 0
	})
	// By name: no passwd to read, so docker's "unable to find user".
	_, errs, code, hung := j.runWithin(20*time.Second, "exec", "-u", "nobody", "u", "id")
	if hung {
		t.Fatalf("exec -u nobody hung on a FIFO /etc/passwd")
	}
	if code == 0 || !strings.Contains(errs, "unable to find user nobody") {
		t.Errorf("exec -u nobody: exit %d: %s", code, errs)
	}
	// (Not id: it reads the container's own FIFO, a hang of its own making.)
	out, errs, code, hung := j.runWithin(20*time.Second, "exec", "-u", "1000:1000", "u", "grep", "^Uid", "/proc/self/status")
	if hung || code != 0 || !strings.Contains(out, "1000") {
		t.Errorf("exec -u 1000:1000: hung=%v exit %d: %s %s", hung, code, out, errs)
	}
	// A group name: /etc/group is a device, so not found, and not read.
	_, errs, code, hung = j.runWithin(20*time.Second, "exec", "-u", "0:wheel", "u", "id")
	if hung || code == 0 || !strings.Contains(errs, "unable to find group wheel") {
		t.Errorf("exec -u 0:wheel: hung=%v exit %d: %s", hung, code, errs)
	}
	// The same files in an image: run -u reads them from the stopped
	// rootfs (the engine's view), where /etc/passwd links to a device.
	j.ok("stop", "-t", "1", "u")
	j.ok("commit", "u", "planted")
	_, errs, code, hung = j.runWithin(30*time.Second, "run", "--rm", "-u", "nobody", "planted", "true")
	if hung || code == 0 || !strings.Contains(errs, "unable to find user") {
		t.Errorf("run -u nobody on a planted image: hung=%v exit %d: %s", hung, code, errs)
	}
	out, errs, code, hung = j.runWithin(30*time.Second, "run", "--rm", "-u", "1000", "planted", "grep", "^Uid", "/proc/self/status")
	if hung || code != 0 || !strings.Contains(out, "1000") {
		t.Errorf("run -u 1000 on a planted image: hung=%v exit %d: %s %s", hung, code, out, errs)
	}
	j.ok("rm", "-f", "u")
	j.ok("rmi", "planted")
}

// TestSecurityEngineCpMounts: cp acts on what the container sees: its
// volumes, binds and tmpfs, running or stopped; a --read-only rootfs and a
// read-only mount refuse a copy in, as docker does.
func TestSecurityEngineCpMounts(t *testing.T) {
	j := newJinn(t, "")
	bind := t.TempDir()
	src := filepath.Join(t.TempDir(), "f")
	os.WriteFile(src, []byte("from host\n"), 0o644)
	j.ok(j.runArgs([]string{"-d", "--name", "m", "-v", "cpvol:/data", "-v", bind + ":/bind", "--tmpfs", "/scratch",
		"-v", bind + ":/robind:ro"}, "sleep", "1000")...)
	for _, dir := range []string{"/data", "/bind", "/scratch"} {
		j.ok("cp", src, "m:"+dir+"/")
		if out := j.ok("exec", "m", "cat", dir+"/f"); out != "from host\n" {
			t.Errorf("cp into %s: the container sees %q", dir, out)
		}
		j.ok("exec", "m", "sh", "-c", "echo inside "+dir+" > "+dir+"/in")
		if out := j.ok("cp", "m:"+dir+"/in", "-"); !strings.Contains(out, "inside "+dir) {
			t.Errorf("cp out of %s: %q", dir, out)
		}
	}
	if b, err := os.ReadFile(filepath.Join(bind, "f")); err != nil || string(b) != "from host\n" {
		t.Errorf("cp into a bind mount: host source has %q %v", b, err)
	}
	if _, errs, code := j.run("cp", src, "m:/robind/"); code == 0 || !strings.Contains(errs, "read-only") {
		t.Errorf("cp into a read-only bind: exit %d: %s", code, errs)
	}
	// Stopped: the volume and the bind are still what cp reaches, also
	// through a symlink of the container's own.
	j.ok("exec", "m", "ln", "-s", "/data", "/lnk")
	j.ok("stop", "-t", "1", "m")
	os.WriteFile(src, []byte("while stopped\n"), 0o644)
	j.ok("cp", src, "m:/data/g")
	j.ok("cp", src, "m:/lnk/h")
	if out := j.ok("cp", "m:/data/in", "-"); !strings.Contains(out, "inside /data") {
		t.Errorf("cp out of a stopped container's volume: %q", out)
	}
	if ents := tarEntries(t, j.ok("cp", "m:/", "-")); ents["bind/in"] == nil || ents["data/in"] == nil {
		t.Errorf("cp of a stopped container's / lacks its volume and bind files")
	}
	j.ok("start", "m")
	for _, f := range []string{"/data/g", "/data/h"} {
		if out := j.ok("exec", "m", "cat", f); out != "while stopped\n" {
			t.Errorf("cp into a stopped container's volume (%s): the container sees %q", f, out)
		}
	}
	j.ok("rm", "-f", "m")

	// --read-only: refused like docker, but its writable volume takes it.
	j.ok(j.runArgs([]string{"-d", "--name", "ro", "--read-only", "-v", "rovol:/w"}, "sleep", "1000")...)
	for _, state := range []string{"running", "stopped"} {
		_, errs, code := j.run("cp", src, "ro:/tmp/")
		if code == 0 || !strings.Contains(errs, "container rootfs is marked read-only") {
			t.Errorf("%s: cp into a --read-only rootfs: exit %d: %s", state, code, errs)
		}
		j.ok("cp", src, "ro:/w/")
		j.ok("stop", "-t", "1", "ro")
	}
	j.ok("rm", "-f", "ro")
	j.ok("volume", "rm", "cpvol", "rovol")
}
