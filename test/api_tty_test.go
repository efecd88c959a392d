package test

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// inPty runs a docker command under script(1), which gives it a pty, and
// writes the inputs to it one by one, a pause before each; it returns the
// terminal's output and the command's exit code.
func (a *apiEnv) inPty(cli string, cmdline string, inputs ...string) (string, int) {
	a.t.Helper()
	if _, err := exec.LookPath("script"); err != nil {
		a.t.Skip("script(1) is not installed (util-linux)")
	}
	c := exec.Command("script", "-qec", "stty cols 100 rows 30; "+cli+" "+cmdline, "/dev/null")
	c.Env = a.clientEnv()
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	in, _ := c.StdinPipe()
	if err := c.Start(); err != nil {
		a.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	go func() {
		for _, s := range inputs {
			time.Sleep(700 * time.Millisecond)
			io.WriteString(in, s)
		}
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		c.Process.Kill()
		<-done
		a.t.Fatalf("%s: hung; output %q\nservice: %s", cmdline, out.String(), a.log.String())
	}
	in.Close()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	return out.String(), code
}

// TestAPITTY: run -it and exec -it through a pty, the terminal's size at
// start, typed input, exit codes, and detaching with ctrl-p ctrl-q.
func TestAPITTY(t *testing.T) {
	a := newAPI(t)
	for _, cli := range dockerCLIs(t) {
		out, code := a.inPty(cli, "run -it --rm busybox sh", "echo typed-$((1+2))\r", "tty\r", "exit 6\r")
		if code != 6 || !strings.Contains(out, "typed-3") || !strings.Contains(out, "/dev/pts/") {
			t.Fatalf("%s run -it: exit %d, output %q", cli, code, out)
		}
		a.dockerOK(cli, "run", "-d", "--name", "box", "busybox", "sleep", "600")
		out, code = a.inPty(cli, "exec -it box sh", "echo in-exec\r", "exit 3\r")
		if code != 3 || !strings.Contains(out, "in-exec") {
			t.Fatalf("%s exec -it: exit %d, output %q", cli, code, out)
		}
		// ctrl-p ctrl-q leaves the container running.
		out, code = a.inPty(cli, "run -it --name det busybox sh", "echo before\r", "\x10\x11")
		if code != 0 {
			t.Fatalf("%s detach: exit %d, output %q", cli, code, out)
		}
		if st := a.dockerOK(cli, "inspect", "-f", "{{.State.Running}}", "det"); st != "true\n" {
			t.Fatalf("%s after detach: running %q", cli, st)
		}
		a.dockerOK(cli, "rm", "-f", "det", "box")
	}
	// The size the 28.2 CLI gives at create is the terminal's from the start.
	out, code := a.inPty("docker", "run -it --rm busybox stty size")
	if code != 0 || !strings.Contains(out, "30 100") {
		t.Fatalf("stty size: exit %d, output %q", code, out)
	}
}
