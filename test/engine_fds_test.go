package test

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestEngineInheritedFds: an fd its caller leaves open (a shell's
// redirection, a CI runner's pipe) reaches neither the container's monitor
// nor the container: the pipe's reader sees EOF once `run -d` returns,
// while the container runs on. (The monitor used to keep such a pipe open
// for the container's lifetime.)
func TestEngineInheritedFds(t *testing.T) {
	j := newJinn(t, "jinn-runtime")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := j.cmd(j.runArgs([]string{"-d", "--network", "none"}, "sleep", "100")...)
	// fd 9 of jinn, without close-on-exec (3 would be replaced by the
	// monitor's own first extra file).
	c.ExtraFiles = []*os.File{nil, nil, nil, nil, nil, nil, w}
	out, err := c.Output()
	w.Close()
	if err != nil {
		t.Fatalf("run -d: %v", err)
	}
	id := strings.TrimSpace(string(out))
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(r); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the caller's pipe is still open after run -d returned: a monitor or the container holds it")
	}
	if s := j.inspect(id, "{{.State.Status}}"); s != "running" {
		t.Errorf("container %s, want running", s)
	}
}
