package test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestAPIParallelRuns: 50 docker run --rm at once through one socket.
func TestAPIParallelRuns(t *testing.T) {
	a := newAPI(t)
	cli := dockerCLIs(t)[0]
	var wg sync.WaitGroup
	errs := make(chan string, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := exec.Command(cli, "run", "--rm", "busybox", "sh", "-c", fmt.Sprintf("echo run-%d; exit %d", i, i%4))
			c.Env = a.clientEnv()
			out, err := c.Output()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if string(out) != fmt.Sprintf("run-%d\n", i) || code != i%4 {
				errs <- fmt.Sprintf("run %d: exit %d (want %d), output %q, %v", i, code, i%4, out, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	waitFor(t, 20*time.Second, "every --rm container removed", func() bool { return a.ok("ps", "-aq") == "" })
}

// goroutines is the service's goroutine count (docker info's NGoroutines).
func (a *apiEnv) goroutines() int {
	a.t.Helper()
	_, body, _ := a.get("GET", "/info", "")
	var in struct{ NGoroutines int }
	json.Unmarshal([]byte(body), &in)
	return in.NGoroutines
}

// TestAPIFaults: clients that vanish mid-stream leak no fds or
// goroutines; kill -9 of the service leaves containers running and a
// restarted service sees them.
func TestAPIFaults(t *testing.T) {
	a := newAPI(t)
	cli := dockerCLIs(t)[0]
	a.dockerOK(cli, "run", "-d", "--name", "quiet", "busybox", "sleep", "600")
	a.dockerOK(cli, "run", "-d", "--name", "chatty", "busybox", "sh", "-c", "while true; do echo tick; sleep 0.1; done")
	pid := a.svc.Process.Pid
	time.Sleep(500 * time.Millisecond)
	fds0, gr0 := fdCount(pid), a.goroutines()
	var clients []*exec.Cmd
	for _, args := range [][]string{
		{"logs", "-f", "chatty"}, {"logs", "-f", "quiet"}, {"attach", "--no-stdin", "quiet"},
		{"attach", "--no-stdin", "chatty"}, {"attach", "quiet"}, {"events"}, {"stats", "quiet"},
		{"wait", "quiet"}, {"exec", "quiet", "sleep", "600"}, {"exec", "-i", "quiet", "cat"},
	} {
		for i := 0; i < 3; i++ {
			c := exec.Command(cli, args...)
			c.Env = a.clientEnv()
			if args[0] == "attach" && len(args) == 2 || len(args) > 1 && args[1] == "-i" {
				c.Stdin = strings.NewReader("") // stdin at EOF: the client half-closes
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
	}
	time.Sleep(2 * time.Second)
	if n := fdCount(pid); n < fds0+len(clients) {
		t.Logf("fds with %d clients: %d (idle %d)", len(clients), n, fds0)
	}
	for _, c := range clients {
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
	}
	// The execs the clients started run on (as in docker); kill them so
	// their pipes close.
	a.run("exec", "quiet", "sh", "-c", "kill $(pidof cat) $(pidof sleep | tr ' ' '\\n' | grep -v '^1$') 2>/dev/null; true")
	var fds, gr int
	waitFor(t, 15*time.Second, "the service's fds and goroutines back to idle", func() bool {
		fds, gr = fdCount(pid), a.goroutines()
		return fds <= fds0+2 && gr <= gr0+5
	})
	t.Logf("idle: %d fds, %d goroutines; after %d vanished clients: %d fds, %d goroutines", fds0, gr0, len(clients), fds, gr)

	// kill -9 mid-request: a wait and a logs -f in flight.
	w := exec.Command(cli, "wait", "quiet")
	w.Env = a.clientEnv()
	w.Start()
	time.Sleep(300 * time.Millisecond)
	a.svc.Process.Signal(syscall.SIGKILL)
	a.svc.Wait()
	w.Wait()
	if out := a.ok("ps", "--format", "{{.Names}} {{.State}}"); !strings.Contains(out, "quiet running") || !strings.Contains(out, "chatty running") {
		t.Fatalf("after kill -9 of the service: %q", out)
	}
	a.start()
	if out := a.dockerOK(cli, "ps", "--format", "{{.Names}} {{.State}}"); !strings.Contains(out, "quiet running") || !strings.Contains(out, "chatty running") {
		t.Fatalf("restarted service: %q", out)
	}
	if out := a.dockerOK(cli, "exec", "quiet", "echo", "still"); out != "still\n" {
		t.Fatalf("exec after restart: %q", out)
	}
	a.dockerOK(cli, "rm", "-f", "quiet", "chatty")
	if n := strings.Count(a.log.String(), "panic"); n > 0 {
		t.Fatalf("service log: %s", a.log.String())
	}
}
