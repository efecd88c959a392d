package test

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEngineInterrupt: Ctrl-C ends `jinn wait` and `jinn logs -f` on a
// running container promptly (the engine honours the command's context),
// and the container keeps running.
func TestEngineInterrupt(t *testing.T) {
	j := newJinn(t, "")
	id := strings.TrimSpace(j.ok(j.runArgs([]string{"-d", "--name", "intr-wait"}, "sh", "-c", "echo up; sleep 60")...))
	for _, args := range [][]string{{"wait", id}, {"logs", "-f", id}} {
		c := j.cmd(args...)
		out := &lockedBuffer{}
		c.Stdout, c.Stderr = out, out
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // let it reach its wait
		start := time.Now()
		c.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.Process.Kill()
			<-done
			t.Fatalf("jinn %v ignored Ctrl-C:\n%s", args, out.String())
		}
		// Ended by itself, having cancelled its context, not killed by
		// the signal's default.
		if !c.ProcessState.Exited() {
			t.Errorf("jinn %v died of the signal: %v", args, c.ProcessState)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("jinn %v took %v to stop", args, d)
		}
	}
	if s := j.inspect(id, "{{.State.Status}}"); s != "running" {
		t.Errorf("container after the interrupts: %s, want running", s)
	}
}
