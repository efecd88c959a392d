package test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAPIDockerCLI drives the service with the docker CLIs users have:
// 28.2 (API 1.50) and Debian's 20.10 (API 1.41), as they would type.
func TestAPIDockerCLI(t *testing.T) {
	for _, cli := range dockerCLIs(t) {
		t.Run(filepath.Base(filepath.Dir(cli))+"-"+version(cli), func(t *testing.T) {
			a := newAPI(t)
			testDockerRun(t, a, cli)
			testDockerDetached(t, a, cli)
			testDockerExecCp(t, a, cli)
			testDockerNetVol(t, a, cli)
		})
	}
}

func version(cli string) string {
	out, _ := exec.Command(cli, "version", "--format", "{{.Client.Version}}").Output()
	return strings.TrimSpace(string(out))
}

func testDockerRun(t *testing.T, a *apiEnv, cli string) {
	if out := a.dockerOK(cli, "run", "--rm", "busybox", "echo", "hello"); out != "hello\n" {
		t.Fatalf("run --rm: %q", out)
	}
	out, errb, code := a.docker(cli, "", "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
	if code != 3 || out != "out\n" || errb != "err\n" {
		t.Fatalf("run exit 3: %d %q %q", code, out, errb)
	}
	if _, errb, code := a.docker(cli, "", "run", "--rm", "busybox", "nosuch"); code != 127 || !strings.Contains(errb, "executable file not found") {
		t.Fatalf("run nosuch: %d %q", code, errb)
	}
	if _, errb, code := a.docker(cli, "", "run", "--rm", "busybox", "/etc/passwd"); code != 126 {
		t.Fatalf("run a non-executable: %d %q", code, errb)
	}
	if _, errb, code := a.docker(cli, "", "run", "--rm", "--pull=never", "nosuch:1", "true"); code != 125 || !strings.Contains(errb, "No such image") {
		t.Fatalf("run a missing image: %d %q", code, errb)
	}
	if _, errb, code := a.docker(cli, "", "run", "--rm", "--oom-score-adj", "5000", "busybox", "true"); code != 125 || !strings.Contains(errb, "oom score adj") {
		t.Fatalf("run --oom-score-adj 5000: %d %q", code, errb)
	}
	// Input through stdin, and a name kept after the run.
	if out := a.dockerIn(cli, "piped\n", "run", "-i", "--name", "cat1", "busybox", "cat"); out != "piped\n" {
		t.Fatalf("run -i: %q", out)
	}
	if st := a.dockerOK(cli, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.Name}}", "cat1"); st != "exited 0 /cat1\n" {
		t.Fatalf("inspect after run: %q", st)
	}
	if out := a.dockerOK(cli, "ps", "-a", "--format", "{{.Names}} {{.Status}}"); !strings.HasPrefix(out, "cat1 Exited (0)") {
		t.Fatalf("ps -a: %q", out)
	}
	a.dockerOK(cli, "rm", "cat1")
	if out := a.dockerOK(cli, "run", "--name", "e1", "busybox", "echo", "again"); out != "again\n" {
		t.Fatalf("run --name: %q", out)
	}
	if out := a.dockerOK(cli, "start", "-a", "e1"); out != "again\n" {
		t.Fatalf("start -a: %q", out)
	}
	a.dockerOK(cli, "rm", "e1")
	if _, errb, code := a.docker(cli, "", "rm", "e1"); code != 1 || !strings.Contains(errb, "No such container: e1") {
		t.Fatalf("rm twice: %d %q", code, errb)
	}
	// jinn and the API see the same containers.
	if out := a.ok("ps", "-aq"); out != "" {
		t.Fatalf("jinn ps after docker rm: %q", out)
	}
}

func (a *apiEnv) dockerIn(cli, stdin string, args ...string) string {
	a.t.Helper()
	out, errb, code := a.docker(cli, stdin, args...)
	if code != 0 {
		a.t.Fatalf("%s %v: %d %s %s", cli, args, code, out, errb)
	}
	return out
}

func testDockerDetached(t *testing.T, a *apiEnv, cli string) {
	id := strings.TrimSpace(a.dockerOK(cli, "run", "-d", "--name", "ticker", "-p", "127.0.0.1::80", "busybox",
		"sh", "-c", "trap 'echo bye; exit 7' TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"))
	if len(id) != 64 {
		t.Fatalf("run -d: %q", id)
	}
	if out := a.dockerOK(cli, "ps", "--format", "{{.ID}} {{.Names}} {{.Ports}}"); !strings.HasPrefix(out, id[:12]+" ticker 127.0.0.1:") {
		t.Fatalf("ps: %q", out)
	}
	if out := a.dockerOK(cli, "port", "ticker", "80"); !strings.HasPrefix(out, "127.0.0.1:") {
		t.Fatalf("port: %q", out)
	}
	if out := a.dockerOK(cli, "top", "ticker"); !strings.Contains(out, "PID") || !strings.Contains(out, "sh -c") {
		t.Fatalf("top: %q", out)
	}
	if out := a.dockerOK(cli, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "ticker"); !strings.HasPrefix(out, "ticker ") {
		t.Fatalf("stats: %q", out)
	}
	// logs -f follows until the container stops.
	c := exec.Command(cli, "logs", "-f", "ticker")
	c.Env = a.clientEnv()
	pipe, _ := c.StdoutPipe()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(pipe)
	for i := 0; i < 3 && sc.Scan(); i++ {
		if !strings.HasPrefix(sc.Text(), "tick ") {
			t.Fatalf("logs -f: %q", sc.Text())
		}
	}
	events := exec.Command(cli, "events", "--filter", "container=ticker", "--format", "{{.Action}}")
	events.Env = a.clientEnv()
	evOut, _ := events.StdoutPipe()
	if err := events.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	a.dockerOK(cli, "stop", "ticker")
	last := ""
	for sc.Scan() {
		last = sc.Text()
	}
	if err := c.Wait(); err != nil || last != "bye" {
		t.Fatalf("logs -f after stop: %v, last line %q", err, last)
	}
	if out := a.dockerOK(cli, "wait", "ticker"); out != "7\n" {
		t.Fatalf("wait: %q", out)
	}
	evs := bufio.NewScanner(evOut)
	var got []string
	for evs.Scan() {
		got = append(got, evs.Text())
		if evs.Text() == "stop" {
			break
		}
	}
	events.Process.Kill()
	events.Wait()
	if !strings.Contains(strings.Join(got, " "), "kill die stop") || got[len(got)-1] != "stop" {
		t.Fatalf("events: %v", got)
	}
	since := time.Now()
	a.dockerOK(cli, "restart", "ticker") // stopped: only started
	if st := a.dockerOK(cli, "inspect", "-f", "{{.State.Running}}", "ticker"); st != "true\n" {
		t.Fatalf("after restart: %q", st)
	}
	if out := a.dockerOK(cli, "events", "--since", unixArg(since), "--until", unixArg(time.Now()), "--filter", "container=ticker",
		"--format", "{{.Action}}"); strings.Join(strings.Fields(out), " ") != "start restart" {
		t.Fatalf("restart's events: %q", out)
	}
	if _, errb, code := a.docker(cli, "", "rm", "ticker"); code == 0 || !strings.Contains(errb, "stop the container before removing") {
		t.Fatalf("rm of a running container: %d %q", code, errb)
	}
	a.dockerOK(cli, "rm", "-f", "ticker")
	if out := a.dockerOK(cli, "ps", "-aq"); out != "" {
		t.Fatalf("ps after rm -f: %q", out)
	}
}

func testDockerExecCp(t *testing.T, a *apiEnv, cli string) {
	a.dockerOK(cli, "run", "-d", "--name", "box", "busybox", "sleep", "600")
	if out := a.dockerOK(cli, "exec", "box", "sh", "-c", "echo $((6*7))"); out != "42\n" {
		t.Fatalf("exec: %q", out)
	}
	if _, _, code := a.docker(cli, "", "exec", "box", "sh", "-c", "exit 5"); code != 5 {
		t.Fatalf("exec exit 5: %d", code)
	}
	if _, _, code := a.docker(cli, "", "exec", "box", "nosuch"); code != 127 && code != 126 {
		t.Fatalf("exec nosuch: %d", code)
	}
	if out := a.dockerIn(cli, "in\n", "exec", "-i", "box", "cat"); out != "in\n" {
		t.Fatalf("exec -i: %q", out)
	}
	a.dockerOK(cli, "exec", "-d", "box", "touch", "/tmp/detached")
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "src", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "src", "sub", "f"), []byte("content\n"), 0o644)
	a.dockerOK(cli, "cp", filepath.Join(dir, "src"), "box:/tmp/dst")
	if out := a.dockerOK(cli, "exec", "box", "cat", "/tmp/dst/sub/f"); out != "content\n" {
		t.Fatalf("cp in: %q", out)
	}
	a.dockerOK(cli, "exec", "box", "sh", "-c", "echo back > /tmp/dst/sub/g")
	a.dockerOK(cli, "cp", "box:/tmp/dst", filepath.Join(dir, "out"))
	if b, err := os.ReadFile(filepath.Join(dir, "out", "sub", "g")); err != nil || string(b) != "back\n" {
		t.Fatalf("cp out: %q %v", b, err)
	}
	a.dockerOK(cli, "cp", "box:/tmp/dst/sub/f", filepath.Join(dir, "one"))
	if b, _ := os.ReadFile(filepath.Join(dir, "one")); string(b) != "content\n" {
		t.Fatalf("cp a file out: %q", b)
	}
	if _, errb, code := a.docker(cli, "", "cp", "box:/nosuch", dir); code == 0 || !strings.Contains(errb, "Could not find the file /nosuch") && !strings.Contains(errb, "No such container:path: box:/nosuch") {
		t.Fatalf("cp of a missing path: %d %q", code, errb)
	}
	a.dockerOK(cli, "update", "--memory", "64m", "--restart", "on-failure:2", "box")
	if out := a.dockerOK(cli, "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}", "box"); out != "67108864 on-failure\n" {
		t.Fatalf("update: %q", out)
	}
	a.dockerOK(cli, "pause", "box")
	if out := a.dockerOK(cli, "ps", "--format", "{{.Status}}"); !strings.Contains(out, "(Paused)") {
		t.Fatalf("pause: %q", out)
	}
	a.dockerOK(cli, "unpause", "box")
	a.dockerOK(cli, "rename", "box", "box2")
	if out := a.dockerOK(cli, "diff", "box2"); !strings.Contains(out, "A /tmp/dst") {
		t.Fatalf("diff: %q", out)
	}
	a.dockerOK(cli, "rm", "-f", "box2")
}

func testDockerNetVol(t *testing.T, a *apiEnv, cli string) {
	a.dockerOK(cli, "network", "create", "appnet")
	if out := a.dockerOK(cli, "network", "ls", "--format", "{{.Name}}"); !strings.Contains(out, "appnet") || !strings.Contains(out, "bridge") {
		t.Fatalf("network ls: %q", out)
	}
	a.dockerOK(cli, "volume", "create", "data")
	if out := a.dockerOK(cli, "volume", "ls", "-q"); out != "data\n" {
		t.Fatalf("volume ls: %q", out)
	}
	a.dockerOK(cli, "run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/f")
	a.dockerOK(cli, "run", "-d", "--name", "srv", "--network", "appnet", "--network-alias", "db", "busybox", "sleep", "600")
	if out := a.dockerOK(cli, "run", "--rm", "--network", "appnet", "-v", "data:/data:ro", "busybox", "sh", "-c", "cat /data/f; nslookup db >/dev/null && echo resolved"); out != "kept\nresolved\n" {
		t.Fatalf("volume and network: %q", out)
	}
	if out := a.dockerOK(cli, "network", "inspect", "-f", "{{range .Containers}}{{.Name}}{{end}}", "appnet"); strings.TrimSpace(out) == "" {
		t.Fatalf("network inspect: %q", out)
	}
	if _, errb, code := a.docker(cli, "", "volume", "rm", "data"); code == 0 && !strings.Contains(errb, "in use") {
		// Not in use by a running container: docker removes it too.
		t.Logf("volume rm: %q", errb)
	}
	a.dockerOK(cli, "rm", "-f", "srv")
	a.dockerOK(cli, "network", "rm", "appnet")
	a.dockerOK(cli, "network", "create", "-o", "com.docker.network.bridge.enable_icc=false", "--subnet", "10.87.65.0/24",
		"--ip-range", "10.87.65.128/25", "--aux-address", "r=10.87.65.130", "optnet")
	if out := a.dockerOK(cli, "network", "inspect", "-f", `{{index .Options "com.docker.network.bridge.enable_icc"}} {{range .IPAM.Config}}{{.IPRange}} {{.AuxAddress}}{{end}}`, "optnet"); out != "false 10.87.65.128/25 map[r:10.87.65.130]\n" {
		t.Fatalf("network create -o --ip-range --aux-address: %q", out)
	}
	a.dockerOK(cli, "network", "rm", "optnet")
	if _, err := os.Stat("/proc/sys/net/ipv6"); err == nil {
		keepSysctl(t, "net/ipv6/conf/all/forwarding")
		a.dockerOK(cli, "network", "create", "--ipv6", "--subnet", "10.87.64.0/24", "--subnet", "fd00:87:94::/64", "v6net")
		out := a.dockerOK(cli, "run", "--rm", "--network", "v6net", "busybox", "sh", "-c", "ping -6 -c1 -W2 fd00:87:94::1 >/dev/null && echo gw6")
		if out != "gw6\n" {
			t.Fatalf("IPv6 network: %q", out)
		}
		if out := a.dockerOK(cli, "network", "inspect", "-f", "{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}", "v6net"); out != "true 10.87.64.0/24 fd00:87:94::/64 \n" {
			t.Fatalf("network inspect of an IPv6 network: %q", out)
		}
		a.dockerOK(cli, "network", "rm", "v6net")
	}
	a.dockerOK(cli, "volume", "prune", "-f")
	a.docker(cli, "", "volume", "rm", "data")
	if out := a.dockerOK(cli, "volume", "ls", "-q"); out != "" {
		t.Fatalf("volumes left: %q", out)
	}
}
