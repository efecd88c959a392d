package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// logWriter is the command of a container (run with logWriterArgs's
// flags) printing numbered lines of 100 bytes for secs seconds (or count
// lines) at rate bytes a second (0: as fast as it can), then exiting.
// It is testdata/logwriter, a static binary bind-mounted in: busybox awk
// into a pipe does ~30 MB/s here, less than the log pipeline behind it.
func logWriter(secs, count int, rate float64) []string {
	return []string{"/logwriter", strconv.Itoa(secs), strconv.Itoa(count), strconv.FormatFloat(rate, 'f', 0, 64)}
}

var (
	logWriterOnce sync.Once
	logWriterPath string
	logWriterErr  error
)

// logWriterArgs builds testdata/logwriter (go's cache makes it quick) and
// returns the run flags that mount it at /logwriter.
func logWriterArgs(t *testing.T) []string {
	t.Helper()
	logWriterOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "jinn-test-logwriter")
		if logWriterErr = os.MkdirAll(dir, 0o755); logWriterErr != nil {
			return
		}
		logWriterPath = filepath.Join(dir, "logwriter")
		c := exec.Command("go", "build", "-o", logWriterPath, "./testdata/logwriter")
		c.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := c.CombinedOutput(); err != nil {
			logWriterErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if logWriterErr != nil {
		t.Fatalf("build logwriter: %v", logWriterErr)
	}
	return []string{"-v", logWriterPath + ":/logwriter:ro"}
}

// seqChecker checks that lines numbered by logWriter arrive each once, in
// order. It allocates nothing per line: at 50 MB/s it shares the cores
// with the pipeline it measures.
type seqChecker struct {
	next  int
	bytes int64
	bad   []string
}

func (s *seqChecker) line(l string) { s.lineBytes([]byte(l)) }

func (s *seqChecker) lineBytes(l []byte) {
	s.bytes += int64(len(l)) + 1
	n, i := 0, 0
	for i < len(l) && i < 12 && l[i] >= '0' && l[i] <= '9' {
		n = n*10 + int(l[i]-'0')
		i++
	}
	if i == 0 || i == len(l) || l[i] != ' ' || len(l)-i-1 != 93 {
		n = -1
	}
	if s.next == 0 {
		s.next = 1
	}
	if n != s.next && len(s.bad) < 5 {
		s.bad = append(s.bad, fmt.Sprintf("line %q where %d was due", trunc(string(l), 30), s.next))
	}
	if n > 0 {
		s.next = n + 1
	}
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// cpuTicks is the CPU time (user+system, in clock ticks of 10 ms) pid has
// used; 0 once it is gone.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

func parentPid(pid int) int {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestEngineLogsRotation: a container writes numbered lines at 50 MB/s
// (JINN_SOAK_LOGS_RATE in MB/s; 0: as fast as it can) with --log-opt
// max-size=5m max-file=3; `logs -f`, started with it, prints every line
// exactly once, in order, across the rotations; the log files never take
// more than 3 x 5 MiB; and `logs` afterwards prints the last lines the
// files hold, in order. JINN_SOAK_LOGS=SECONDS sets how long it writes
// (the campaign: 60; the default, 5). It logs the rate reached and the
// CPU time each stage took per GB of output: writer, monitor, follower
// and this test reading the follower.
func TestEngineLogsRotation(t *testing.T) {
	secs := 5
	if v, err := strconv.Atoi(os.Getenv("JINN_SOAK_LOGS")); err == nil && v > 0 {
		secs = v
	}
	rate := 50.0
	if v, err := strconv.ParseFloat(os.Getenv("JINN_SOAK_LOGS_RATE"), 64); err == nil && v >= 0 {
		rate = v
	}
	const maxSize, maxFiles = 5 << 20, 3
	j := newJinn(t, "jinn-runtime")
	// The writer waits for /sync/go, made once logs -f printed its
	// "ready": at 50 MB/s a follower that starts late (the CLI's start
	// on a loaded machine) finds the first lines rotated away already.
	syncDir := t.TempDir()
	flags := append([]string{"-d", "--name", "writer", "--network", "none", "-v", syncDir + ":/sync",
		"--log-opt", "max-size=5m", "--log-opt", fmt.Sprintf("max-file=%d", maxFiles)}, logWriterArgs(t)...)
	args := j.runArgs(flags, append(logWriter(secs, 0, rate*1e6), "/sync/go")...)
	follow := j.cmd("logs", "-f", "writer")
	out, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(j.ok(args...))
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	logPath := j.inspect(id, "{{.LogPath}}")
	pid, _ := strconv.Atoi(j.inspect(id, "{{.State.Pid}}"))
	monPid := parentPid(pid)
	var peak, writerCPU, monCPU atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var sum int64
			files, _ := filepath.Glob(logPath + "*")
			for _, f := range files {
				if fi, err := os.Stat(f); err == nil {
					sum += fi.Size()
				}
			}
			if sum > peak.Load() {
				peak.Store(sum)
			}
			// The last reading before each exits.
			if n := cpuTicks(pid); n > 0 {
				writerCPU.Store(n)
			}
			if n := cpuTicks(monPid); n > 0 {
				monCPU.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 256*1024), 1<<20)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("logs -f began with %q, not the writer's ready", sc.Text())
	}
	if err := os.WriteFile(filepath.Join(syncDir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cpu0 := selfCPU()
	var seq seqChecker
	done := make(chan error, 1)
	go func() {
		for sc.Scan() {
			seq.lineBytes(sc.Bytes())
		}
		done <- sc.Err()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("read logs -f: %v", err)
		}
	case <-time.After(time.Duration(secs)*time.Second + 2*time.Minute):
		follow.Process.Kill()
		<-done
		t.Errorf("logs -f did not end after the container did")
	}
	follow.Wait()
	d := time.Since(start)
	readerCPU := selfCPU() - cpu0
	close(stop)
	<-sampled
	for _, b := range seq.bad {
		t.Errorf("logs -f: %s", b)
	}
	last := lastLogLine(t, j, "writer")
	if seq.next-1 != last {
		t.Errorf("logs -f printed up to line %d, the log ends with line %d", seq.next-1, last)
	}
	if limit := int64(maxSize*maxFiles + 4096); peak.Load() > limit {
		t.Errorf("the log files took %d bytes, over the limit of %d", peak.Load(), limit)
	}
	files, _ := filepath.Glob(logPath + "*")
	if len(files) != maxFiles {
		t.Errorf("%d log files, want %d (the writer wrote %d MB): %v", len(files), maxFiles, seq.bytes>>20, files)
	}
	gb := float64(seq.bytes) / 1e9
	perGB := func(d time.Duration) float64 { return d.Seconds() / gb }
	ticks := func(n int64) time.Duration { return time.Duration(n) * 10 * time.Millisecond }
	t.Logf("logs -f: %d lines (%.0f MB of output, %.1f MB/s, asked %.0f MB/s) in %v; log files at most %.1f MiB (limit %d x %d MiB)",
		seq.next-1, float64(seq.bytes)/1e6, float64(seq.bytes)/1e6/d.Seconds(), rate, d.Round(time.Millisecond),
		float64(peak.Load())/(1<<20), maxFiles, maxSize>>20)
	t.Logf("CPU s per GB of output: writer %.2f, monitor %.2f, logs -f %.2f, test reader %.2f",
		perGB(ticks(writerCPU.Load())), perGB(ticks(monCPU.Load())),
		perGB(follow.ProcessState.UserTime()+follow.ProcessState.SystemTime()), perGB(readerCPU))
	// logs without -f: what the files kept, in order, up to the last line.
	var kept seqChecker
	c := j.cmd("logs", "writer")
	o, _ := c.StdoutPipe()
	c.Start()
	sc = bufio.NewScanner(o)
	first := true
	for sc.Scan() {
		if first {
			kept.next, _ = strconv.Atoi(strings.Fields(sc.Text())[0])
			first = false
		}
		kept.line(sc.Text())
	}
	c.Wait()
	for _, b := range kept.bad {
		t.Errorf("logs: %s", b)
	}
	if kept.next-1 != last {
		t.Errorf("logs printed up to line %d, want %d", kept.next-1, last)
	}
	j.ok("rm", "-f", "writer")
}

// lastLogLine is the number of the last line in the container's log.
func lastLogLine(t *testing.T, j *jinnEnv, name string) int {
	out := strings.TrimSpace(j.ok("logs", "--tail", "1", name))
	n, err := strconv.Atoi(strings.Fields(out + " x")[0])
	if err != nil {
		t.Fatalf("last log line: %q", out)
	}
	return n
}

// TestEngineAttachSlowReader: `run` piped into a reader slower than the
// container gets every line (the monitor holds the container back, as
// docker does, rather than dropping the client), then the exit code.
func TestEngineAttachSlowReader(t *testing.T) {
	j := newJinn(t, "jinn-runtime")
	const lines = 200000 // 20 MB: far more than the monitor queues
	c := j.cmd(append(j.runArgs(append([]string{"--rm", "--network", "none"}, logWriterArgs(t)...)), logWriter(0, lines, 0)...)...)
	out, _ := c.StdoutPipe()
	var errb strings.Builder
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // the container fills every buffer meanwhile
	var seq seqChecker
	sc := bufio.NewScanner(out)
	slow := 0
	for sc.Scan() {
		seq.line(sc.Text())
		if slow++; slow%20000 == 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	io.Copy(io.Discard, out)
	err := c.Wait()
	for _, b := range seq.bad {
		t.Errorf("run's output: %s", b)
	}
	if seq.next-1 != lines || err != nil {
		t.Errorf("run into a slow reader: %d of %d lines, %v %s", seq.next-1, lines, err, errb.String())
	}
}

// TestEngineLogsOptions: `logs` prints what the json-file log holds, byte
// for byte (quotes, tabs, <>&, non-ASCII, a line without its newline),
// stdout and stderr in the log's order, with -t, --tail, --since and
// --until; and the file holds docker's shape, key order included.
func TestEngineLogsOptions(t *testing.T) {
	j := newJinn(t, "jinn-runtime")
	script := `printf 'a "q" \\ b\t<x>&y\n'; echo err1 >&2; sleep 0.2; printf 'h\303\251 \342\234\223\n'; ` +
		`sleep 0.2; echo err2 >&2; sleep 0.2; printf 'no newline'`
	id := strings.TrimSpace(j.ok(j.runArgs([]string{"-d", "--network", "none"}, "sh", "-c", script)...))
	j.ok("wait", id)
	b, err := os.ReadFile(j.inspect(id, "{{.LogPath}}"))
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ Log, Stream, Time string }
	var entries []entry
	var all, stdout, stderr string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		var e entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		shape := `{"log":` + string(jsonString(e.Log)) + `,"stream":"` + e.Stream + `","time":"` + e.Time + "\"}\n"
		if line != shape {
			t.Errorf("log line %q, docker writes %q", line, shape)
		}
		entries = append(entries, e)
		all += e.Log
		if e.Stream == "stdout" {
			stdout += e.Log
		} else {
			stderr += e.Log
		}
	}
	if stdout != "a \"q\" \\ b\t<x>&y\nhé ✓\nno newline" || stderr != "err1\nerr2\n" {
		t.Fatalf("the log holds stdout %q, stderr %q", stdout, stderr)
	}
	// Each stream alone, and both into one file (one open file as fd 1
	// and 2: the order logs wrote them in, which two pipes would lose).
	run := func(args ...string) (string, string, string) {
		var o, e strings.Builder
		c := j.cmd(append([]string{"logs"}, append(args, id)...)...)
		c.Stdout, c.Stderr = &o, &e
		if err := c.Run(); err != nil {
			t.Fatalf("logs %v: %v", args, err)
		}
		f, err := os.CreateTemp(t.TempDir(), "both")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c = j.cmd(append([]string{"logs"}, append(args, id)...)...)
		c.Stdout, c.Stderr = f, f
		if err := c.Run(); err != nil {
			t.Fatalf("logs %v: %v", args, err)
		}
		both, _ := os.ReadFile(f.Name())
		return o.String(), e.String(), string(both)
	}
	if o, e, both := run(); o != stdout || e != stderr || both != all {
		t.Errorf("logs: stdout %q, stderr %q, together %q; want %q, %q, %q", o, e, both, stdout, stderr, all)
	}
	if _, _, both := run("--tail", "2"); both != entries[len(entries)-2].Log+entries[len(entries)-1].Log {
		t.Errorf("logs --tail 2: %q", both)
	}
	if _, _, both := run("-t"); !strings.HasPrefix(both, entries[0].Time[:20]) || !strings.Contains(both, " err1\n") {
		t.Errorf("logs -t: %q (first time %s)", both, entries[0].Time)
	}
	if _, _, both := run("--since", entries[2].Time); both != all[len(entries[0].Log)+len(entries[1].Log):] {
		t.Errorf("logs --since %s: %q", entries[2].Time, both)
	}
	if _, _, both := run("--until", entries[1].Time); both != entries[0].Log+entries[1].Log {
		t.Errorf("logs --until %s: %q", entries[1].Time, both)
	}
	j.ok("rm", id)
}

// jsonString is encoding/json's quoting of s (HTML escaped, as docker's
// json-file log writes it).
func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
