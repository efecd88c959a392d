package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jinn-containers/jinn/internal/monitor"
)

// TestEngineMonitorC: containers without a health check get the C monitor
// (cmd/jinn-monitor-c), which writes what the Go monitor writes: the same
// json-file log (escaping, partial lines, rotation), output, exit codes
// and restarts. JINN_MONITOR=go and health checks get the Go monitor.
func TestEngineMonitorC(t *testing.T) {
	if _, err := os.Stat(bin("jinn-monitor-c")); err != nil {
		t.Skipf("jinn-monitor-c not built (no C compiler): %v", err)
	}
	j := newJinn(t, "")
	none := []string{"--network", "none"}

	t.Run("codec", func(t *testing.T) {
		// Strings the Go codec quotes in every way it can: escapes, \x,
		// \u, non-ASCII, quotes, spaces. Go writes, C reads (and writes
		// back), Go reads.
		odd := "a \"b\" \\ \t\x01\x7f \xff é 日本 \u00a0\u2028 🎉 end"
		dir := t.TempDir()
		now := time.Unix(0, time.Now().UnixNano()).UTC()
		want := &monitor.State{Status: "exited", Pid: 3, MonitorPid: 4, MonitorStart: 5, ExitCode: 137, OOMKilled: true,
			Error: odd + "\nsecond line", StartedAt: now, FinishedAt: now.Add(time.Second), RestartCount: 2, Deleted: true,
			Health: &monitor.HealthState{Status: "unhealthy", FailingStreak: 3, Log: []monitor.HealthLog{
				{Start: now, End: now, ExitCode: 1, Output: odd + "\n"}}}}
		if _, err := monitor.UpdateState(dir, func(s *monitor.State) { *s = *want }); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin("jinn-monitor-c"), "--codec-check", "state", dir).CombinedOutput(); err != nil {
			t.Fatalf("C state round trip: %v %s", err, out)
		}
		got, err := monitor.ReadState(dir)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("state through C: %v\n got %+v\nwant %+v", err, got, want)
		}
		// A damaged state is refused, not rewritten.
		os.WriteFile(filepath.Join(dir, "state"), []byte("format 2\nstatus \"running\"\n"), 0o600)
		if exec.Command(bin("jinn-monitor-c"), "--codec-check", "state", dir).Run() == nil {
			t.Errorf("C rewrote a state cut short")
		}

		cfg := &monitor.Config{ID: "id1", Name: odd, Image: "img", Events: "/e v", Runtime: "/rt", RuntimeArgs: []string{"--root", odd},
			Bundle: "/b", StateDir: "/s", LogPath: "/l", LogMaxSize: 1 << 40, LogMaxFiles: 3, Stdin: true, Start: true,
			Restart: monitor.Restart{Name: "on-failure", Max: 2}, OOMFiles: []string{"/o"}, Cleanup: []string{"jinn", "rm"},
			OnExit: []string{"x"}, EventAttrs: []string{"k=" + odd}}
		path := filepath.Join(dir, "monitor.conf")
		if err := monitor.WriteConfig(path, cfg); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin("jinn-monitor-c"), "--codec-check", "config", path).Output()
		wantOut := strings.Join([]string{cfg.ID, cfg.Name, cfg.Image, cfg.Events, cfg.Runtime, cfg.Bundle, cfg.StateDir, cfg.LogPath,
			cfg.Restart.Name, "1099511627776 3 0 1 1 2 0", "0 --root", "0 " + odd, "1 /o", "2 jinn", "2 rm", "3 x", "4 k=" + odd}, "\n") + "\n"
		if err != nil || string(out) != wantOut {
			t.Errorf("config through C: %v\n got %q\nwant %q", err, out, wantOut)
		}
	})

	t.Run("choice", func(t *testing.T) {
		for _, tc := range []struct {
			env   string
			flags []string
			want  string
		}{
			{"", nil, "jinn-monitor-c"},
			{"", []string{"--health-cmd", "true", "--health-interval", "1s"}, "jinn-monitor-c"},
			{"go", nil, "jinn-monitor"},
		} {
			id := strings.TrimSpace(j.okEnv(tc.env, j.runArgs(append(append([]string{"-d"}, none...), tc.flags...), "sleep", "100")...))
			if got := monitorExe(t, id); got != tc.want {
				t.Errorf("JINN_MONITOR=%q %v: monitor %q, want %q", tc.env, tc.flags, got, tc.want)
			}
			j.ok("rm", "-f", id)
		}
	})

	t.Run("log parity", func(t *testing.T) {
		script := `printf 'a "q" \\ <t> & \001\033 \b\f \377 x\n'; printf '\342\200\250 sep \342\200\251 \303\251 \346\227\245 \360\237\216\211\n'
printf 'tab\there\r\n'; i=0; while [ $i -lt 40 ]; do echo "line $i of the rotation test"; i=$((i+1)); done
printf 'err line\nerr partial' >&2; printf partial`
		type result struct {
			stdout, stderr string
			code           int
			lines          []string // stream + log of each line, oldest file first
			raw            []string // each stdout line's JSON without its time
			files          int
		}
		runOne := func(mon string) result {
			var r result
			args := j.runArgs(append([]string{"--log-opt", "max-size=1k", "--log-opt", "max-file=30"}, none...), "sh", "-c", script)
			name := "parity-" + mon
			args = append(args[:1], append([]string{"--name", name}, args[1:]...)...)
			c := j.cmd(args...)
			c.Env = append(os.Environ(), "JINN_MONITOR="+mon)
			var out, errb bytes.Buffer
			c.Stdout, c.Stderr = &out, &errb
			c.Run()
			r.stdout, r.stderr, r.code = out.String(), errb.String(), c.ProcessState.ExitCode()
			logPath := j.inspect(name, "{{.LogPath}}")
			var paths []string
			for i := 29; i >= 1; i-- {
				if _, err := os.Stat(logPath + "." + strconv.Itoa(i)); err == nil {
					paths = append(paths, logPath+"."+strconv.Itoa(i))
				}
			}
			paths = append(paths, logPath)
			r.files = len(paths)
			stamp := regexp.MustCompile(`,"time":"[^"]*"}$`)
			for _, p := range paths {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if len(b) > 1024 {
					t.Errorf("%s: %s is %d bytes, over max-size", mon, filepath.Base(p), len(b))
				}
				for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
					var e struct{ Log, Stream, Time string }
					if err := json.Unmarshal([]byte(l), &e); err != nil {
						t.Fatalf("%s: bad log line %q: %v", mon, l, err)
					}
					ts, err := time.Parse(time.RFC3339Nano, e.Time)
					if err != nil || ts.Format(time.RFC3339Nano) != e.Time || ts.Location() != time.UTC {
						t.Errorf("%s: time %q is not Go's RFC3339Nano in UTC", mon, e.Time)
					}
					r.lines = append(r.lines, e.Stream+" "+e.Log)
					if e.Stream == "stdout" {
						r.raw = append(r.raw, stamp.ReplaceAllString(l, "}"))
					}
				}
			}
			j.ok("rm", name)
			return r
		}
		g, c := runOne("go"), runOne("c")
		if g.stdout != c.stdout || g.stderr != c.stderr || g.code != c.code {
			t.Errorf("attached output differs:\ngo: %q %q %d\n c: %q %q %d", g.stdout, g.stderr, g.code, c.stdout, c.stderr, c.code)
		}
		if !strings.HasPrefix(c.stdout, "a \"q\" \\ <t> & \x01\x1b \b\f \xff x\n") || !strings.HasSuffix(c.stdout, "partial") {
			t.Errorf("attached stdout: %q", c.stdout)
		}
		if c.files < 4 {
			t.Errorf("max-size=1k kept %d files: no rotation", c.files)
		}
		// The streams are separate pipes: compare each in order.
		split := func(lines []string, stream string) []string {
			var out []string
			for _, l := range lines {
				if strings.HasPrefix(l, stream+" ") {
					out = append(out, l)
				}
			}
			return out
		}
		for _, s := range []string{"stdout", "stderr"} {
			if a, b := split(g.lines, s), split(c.lines, s); !reflect.DeepEqual(a, b) {
				t.Errorf("%s log lines differ:\ngo: %q\n c: %q", s, a, b)
			}
		}
		if !reflect.DeepEqual(g.raw, c.raw) {
			t.Errorf("log bytes differ:\ngo: %q\n c: %q", g.raw, c.raw)
		}
	})

	t.Run("long lines", func(t *testing.T) {
		// Over 16 KiB, a line is cut, as docker's; the pieces make it up.
		out := j.ok(j.runArgs(append([]string{"--name", "long"}, none...), "sh", "-c", "head -c 70000 /dev/zero | tr '\\0' x; echo")...)
		want := strings.Repeat("x", 70000) + "\n"
		if out != want {
			t.Errorf("attached output: %d bytes, want %d", len(out), len(want))
		}
		b, err := os.ReadFile(j.inspect("long", "{{.LogPath}}"))
		if err != nil {
			t.Fatal(err)
		}
		var all strings.Builder
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		for _, l := range lines {
			var e struct{ Log string }
			json.Unmarshal([]byte(l), &e)
			all.WriteString(e.Log)
		}
		if all.String() != want || len(lines) < 2 {
			t.Errorf("log: %d pieces making %d bytes, want >1 making %d", len(lines), all.Len(), len(want))
		}
		j.ok("rm", "long")
	})

	t.Run("stdin", func(t *testing.T) {
		c := j.cmd(j.runArgs(append([]string{"--rm", "-i"}, none...), "sh", "-c", "cat; echo done")...)
		c.Stdin = strings.NewReader(strings.Repeat("in put\n", 20000))
		out, err := c.Output()
		if err != nil || string(out) != strings.Repeat("in put\n", 20000)+"done\n" {
			t.Errorf("run -i: %v, %d bytes of output", err, len(out))
		}
	})

	t.Run("tty", func(t *testing.T) {
		// Through the pty: its line discipline turns \n into \r\n, and
		// the log has it as docker's does (one stdout stream).
		out := j.ok(j.runArgs(append([]string{"-t", "--name", "tty"}, none...), "sh", "-c", "tty; echo out; echo err >&2")...)
		if out != "/dev/pts/0\r\nout\r\nerr\r\n" {
			t.Errorf("run -t: %q", out)
		}
		b, _ := os.ReadFile(j.inspect("tty", "{{.LogPath}}"))
		if n := strings.Count(string(b), `"stream":"stdout"`); n != 3 || !strings.Contains(string(b), `"log":"err\r\n"`) {
			t.Errorf("run -t log: %s", b)
		}
		j.ok("rm", "tty")
	})

	t.Run("restart", func(t *testing.T) {
		id := strings.TrimSpace(j.ok(j.runArgs(append([]string{"-d", "--restart", "on-failure:2"}, none...), "sh", "-c", "sleep 0.2; exit 3")...))
		waitFor(t, 30*time.Second, "two restarts", func() bool {
			return j.inspect(id, "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}") == "exited 2 3"
		})
		j.ok("rm", id)
	})

	t.Run("attach", func(t *testing.T) {
		// A later attach: input to a running container, then the end of
		// it (FrameCloseStdin), its output and exit code back.
		id := strings.TrimSpace(j.ok(j.runArgs(append([]string{"-d", "-i"}, none...), "sh", "-c", "cat; echo bye; exit 7")...))
		c := j.cmd("attach", id)
		c.Stdin = strings.NewReader("hello\n")
		out, err := c.Output()
		if string(out) != "hello\nbye\n" || c.ProcessState.ExitCode() != 7 {
			t.Errorf("attach: %q, exit %d (%v)", out, c.ProcessState.ExitCode(), err)
		}
		j.ok("rm", id)
	})

	t.Run("many_attach", func(t *testing.T) {
		// More clients than the C monitor's poll set once held (64): every
		// one gets the output, as with the Go monitor (no limit).
		id := strings.TrimSpace(j.ok(j.runArgs(append([]string{"-d"}, none...), "sh", "-c", "while :; do echo out; sleep 0.05; done")...))
		defer j.ok("rm", "-f", id)
		// Through the directory's fd: the path is longer than sun_path.
		dir, err := os.Open(filepath.Join(j.runroot, "containers", id))
		if err != nil {
			t.Fatal(err)
		}
		defer dir.Close()
		sock := fmt.Sprintf("/proc/self/fd/%d/attach.sock", dir.Fd())
		const n = 100
		got := make(chan error, n)
		for i := 0; i < n; i++ {
			var conn net.Conn
			var err error
			for try := 0; try < 100; try++ { // the listen backlog is 16
				if conn, err = net.Dial("unix", sock); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
			defer conn.Close()
			go func() {
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				for {
					typ, p, err := monitor.ReadFrame(conn)
					if err != nil || typ == monitor.FrameExit {
						got <- fmt.Errorf("no output before %v/%d", err, typ)
						return
					}
					if typ == monitor.FrameStdout && string(p) == "out\n" {
						got <- nil
						return
					}
				}
			}()
		}
		for i := 0; i < n; i++ {
			if err := <-got; err != nil {
				t.Fatalf("an attached client: %v", err)
			}
		}
	})

	t.Run("health", func(t *testing.T) {
		// The same checks under both monitors: the same health, log
		// entries (output, exit code) and status; a timed-out check too.
		type entry struct {
			ExitCode int
			Output   string
		}
		health := func(mon, cmd, timeout string) (string, []entry) {
			id := strings.TrimSpace(j.okEnv(mon, j.runArgs(append([]string{"-d", "--health-cmd", cmd, "--health-interval", "150ms",
				"--health-timeout", timeout, "--health-retries", "2"}, none...), "sleep", "100")...))
			defer j.ok("rm", "-f", id)
			var h struct {
				Status string
				Log    []entry
			}
			waitFor(t, 20*time.Second, "three checks", func() bool {
				json.Unmarshal([]byte(j.inspect(id, "{{json .State.Health}}")), &h)
				return len(h.Log) >= 3
			})
			return h.Status, h.Log[:3]
		}
		for _, tc := range [][2]string{{"echo \"out <1>\"; exit 1", "5s"}, {"echo ok", "5s"}, {"sleep 3", "100ms"}} {
			gs, gl := health("go", tc[0], tc[1])
			cs, cl := health("c", tc[0], tc[1])
			if gs != cs || !reflect.DeepEqual(gl, cl) {
				t.Errorf("health %q: go %s %+v, c %s %+v", tc[0], gs, gl, cs, cl)
			}
		}
	})

	t.Run("update restart", func(t *testing.T) {
		// The policy is read again when the container exits.
		id := strings.TrimSpace(j.ok(j.runArgs(append([]string{"-d"}, none...), "sh", "-c", "sleep 1; exit 3")...))
		j.ok("update", "--restart", "on-failure:1", id)
		waitFor(t, 30*time.Second, "one restart", func() bool {
			return j.inspect(id, "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}") == "exited 1 3"
		})
		j.ok("rm", id)
	})
}

// okEnv is ok with JINN_MONITOR=env ("": the default, whatever the
// suite's environment says).
func (j *jinnEnv) okEnv(env string, args ...string) string {
	j.t.Helper()
	c := j.cmd(args...)
	c.Env = append(os.Environ(), "JINN_MONITOR="+env)
	out, err := c.Output()
	if err != nil {
		j.t.Fatalf("jinn %v: %v", args, err)
	}
	return string(out)
}

// monitorExe names the binary of a container's monitor.
func monitorExe(t *testing.T, id string) string {
	t.Helper()
	pid := monitorPid(t, id)
	if pid == 0 {
		t.Fatalf("no monitor for %s", id)
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(exe)
}
