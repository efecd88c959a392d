package test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// logWriter is a busybox command printing numbered lines of 100 bytes as
// fast as it can for secs seconds (or count lines), then exiting.
func logWriter(secs, count int) []string {
	prog := fmt.Sprintf(`BEGIN{p=sprintf("%%093d",0); end=systime()+%d; for(i=1;%d==0||i<=%d;i++){print i, p; if(i%%5000==0 && %d>0 && systime()>=end) exit}}`,
		secs, count, count, secs)
	return []string{"awk", prog}
}

// seqChecker checks that lines numbered by logWriter arrive each once, in
// order.
type seqChecker struct {
	next  int
	bytes int64
	bad   []string
}

func (s *seqChecker) line(l string) {
	s.bytes += int64(len(l)) + 1
	f := strings.Fields(l)
	n := -1
	if len(f) == 2 && len(f[1]) == 93 {
		n, _ = strconv.Atoi(f[0])
	}
	if s.next == 0 {
		s.next = 1
	}
	if n != s.next && len(s.bad) < 5 {
		s.bad = append(s.bad, fmt.Sprintf("line %q where %d was due", trunc(l, 30), s.next))
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

// TestEngineLogsRotation: a container writes numbered lines as fast as
// busybox can with --log-opt max-size=5m max-file=3; `logs -f`, started
// with it, prints every line exactly once, in order, across the
// rotations; the log files never take more than 3 x 5 MiB; and `logs`
// afterwards prints the last lines the files hold, in order.
// JINN_SOAK_LOGS=SECONDS sets how long it writes (the campaign: 60; the
// default, 5).
func TestEngineLogsRotation(t *testing.T) {
	secs := 5
	if v, err := strconv.Atoi(os.Getenv("JINN_SOAK_LOGS")); err == nil && v > 0 {
		secs = v
	}
	const maxSize, maxFiles = 5 << 20, 3
	j := newJinn(t, "jinn-runtime")
	args := j.runArgs([]string{"-d", "--name", "writer", "--network", "none",
		"--log-opt", "max-size=5m", "--log-opt", fmt.Sprintf("max-file=%d", maxFiles)}, logWriter(secs, 0)...)
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
	var peak atomic.Int64
	stop := make(chan struct{})
	go func() {
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
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	var seq seqChecker
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			seq.line(sc.Text())
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
	close(stop)
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
	t.Logf("logs -f: %d lines (%.0f MB of output, %.1f MB/s) in %v; log files at most %.1f MiB (limit %d x %d MiB)",
		seq.next-1, float64(seq.bytes)/1e6, float64(seq.bytes)/1e6/d.Seconds(), d.Round(time.Millisecond),
		float64(peak.Load())/(1<<20), maxFiles, maxSize>>20)
	// logs without -f: what the files kept, in order, up to the last line.
	var kept seqChecker
	c := j.cmd("logs", "writer")
	o, _ := c.StdoutPipe()
	c.Start()
	sc := bufio.NewScanner(o)
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
	c := j.cmd(append(j.runArgs([]string{"--rm", "--network", "none"}), logWriter(0, lines)...)...)
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
