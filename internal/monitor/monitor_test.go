package monitor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCodecRoundTrip(t *testing.T) {
	c := &Config{ID: "abc", Name: "n", Runtime: "/usr/bin/runc", RuntimeArgs: []string{"--root", "/x y"},
		Bundle: "/b", StateDir: "/s", LogPath: "/l", LogMaxSize: 1024, LogMaxFiles: 3, Tty: true, Start: true,
		Restart: Restart{Name: "on-failure", Max: 2}, OOMFiles: []string{"/a", "/b"}, EventAttrs: []string{"tier=front", "a b=c\nd"}, Cleanup: []string{"jinn", "rm", "-f"},
		Health: &Health{Test: []string{"CMD-SHELL", "echo \"hi\"\n"}, Interval: time.Second, Timeout: 2 * time.Second, Retries: 3}}
	got, err := decodeConfig(encodeConfig(c))
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("config round trip: %v\n got %+v\nwant %+v", err, got, c)
	}
	now := time.Unix(0, time.Now().UnixNano()).UTC()
	s := &State{Status: "exited", Pid: 3, MonitorPid: 4, MonitorStart: 5, ExitCode: 137, OOMKilled: true,
		Error: "a \"b\"", StartedAt: now, FinishedAt: now, RestartCount: 1,
		Health: &HealthState{Status: "healthy", FailingStreak: 0, Log: []HealthLog{{Start: now, End: now, ExitCode: 0, Output: "ok 1 2\n"}}}}
	gs, err := decodeState(encodeState(s))
	if err != nil || !reflect.DeepEqual(gs, s) {
		t.Fatalf("state round trip: %v\n got %+v\nwant %+v", err, gs, s)
	}
}

// The json-file log must be what encoding/json (and docker) read back.
func TestJSONLogRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c-json.log")
	l, err := openJSONLog(path, 300, 2)
	if err != nil {
		t.Fatal(err)
	}
	sp := &lineSplitter{stream: "stdout", log: l}
	sp.write([]byte("a \"quoted\" <tag> \x01 \xff line\npart"))
	sp.write([]byte("ial\n"))
	for i := 0; i < 10; i++ {
		sp.write([]byte(strings.Repeat("x", 40) + "\n"))
	}
	l.close()
	for _, p := range []string{path, path + ".1"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 300 {
			t.Errorf("%s: %d bytes over max-size", p, len(b))
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var e struct{ Log, Stream, Time string }
			if err := json.Unmarshal([]byte(line), &e); err != nil || e.Stream != "stdout" {
				t.Errorf("bad line %q: %v", line, err)
			}
		}
	}
	if _, err := os.Stat(path + ".2"); err == nil {
		t.Errorf("max-file 2 kept a third file")
	}
	var e struct{ Log string }
	l2, _ := openJSONLog(filepath.Join(dir, "d.log"), 0, 1)
	(&lineSplitter{stream: "stderr", log: l2}).write([]byte("a \"quoted\" <tag> \x01 \xff line\n"))
	l2.close()
	b, _ := os.ReadFile(filepath.Join(dir, "d.log"))
	json.Unmarshal(b, &e)
	if e.Log != "a \"quoted\" <tag> \x01 \ufffd line\n" {
		t.Errorf("escaping: %q", e.Log)
	}
}

func TestProcStart(t *testing.T) {
	if ProcStart(os.Getpid()) == 0 || !Alive(os.Getpid(), ProcStart(os.Getpid())) {
		t.Fatal("own process not alive")
	}
	if Alive(os.Getpid(), ProcStart(os.Getpid())+1) {
		t.Fatal("a reused pid passed as alive")
	}
}

func TestStateDamage(t *testing.T) {
	good := encodeState(&State{Status: "running", Pid: 42, Error: "x"})
	if s, err := decodeState(good); err != nil || s.Status != "running" || s.Pid != 42 {
		t.Fatalf("whole state: %+v %v", s, err)
	}
	// A state of the release before the format line still reads.
	legacy := []byte("status \"exited\"\npid 0\nexit_code 3\n")
	if s, err := decodeState(legacy); err != nil || s.ExitCode != 3 {
		t.Fatalf("legacy state: %+v %v", s, err)
	}
	lines := bytes.SplitAfter(good, []byte("\n"))
	cases := map[string][]byte{
		"empty":         {},
		"mid-line":      good[:len(good)/2+1],
		"line boundary": bytes.Join(lines[:len(lines)-2], nil),
		"garbage":       []byte("\x00\x01\xffgarbage\x7f{{{\n"),
		"json":          []byte(`{"status":"running"}` + "\n"),
		"bad status":    []byte("status \"zombie\"\n"),
		"newline only":  []byte("\n"),
	}
	for name, b := range cases {
		if s, err := decodeState(b); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, s)
		}
	}
}

// Lines cut anywhere by the reads, batched into one write per read and
// rotated mid-batch, come back whole, in order, each file within
// max-size.
func TestJSONLogBatches(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c-json.log")
	l, err := openJSONLog(path, 1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for i := 1; i <= 3000; i++ {
		all = append(all, fmt.Sprintf("line %d %s\n", i, strings.Repeat("y", i%50))...)
	}
	sp := &lineSplitter{stream: "stdout", log: l}
	r := rand.New(rand.NewSource(1))
	for p := all; len(p) > 0; {
		n := 1 + r.Intn(400)
		if n > len(p) {
			n = len(p)
		}
		sp.write(p[:n])
		p = p[n:]
	}
	sp.flush()
	l.close()
	files, _ := filepath.Glob(path + ".*")
	sort.Slice(files, func(a, b int) bool {
		na, _ := strconv.Atoi(strings.TrimPrefix(files[a], path+"."))
		nb, _ := strconv.Atoi(strings.TrimPrefix(files[b], path+"."))
		return na > nb
	})
	next := 1
	for _, p := range append(files, path) {
		b, _ := os.ReadFile(p)
		if len(b) > 1000 {
			t.Errorf("%s: %d bytes over max-size", p, len(b))
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var e struct{ Log string }
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("bad line %q: %v", line, err)
			}
			if want := fmt.Sprintf("line %d %s\n", next, strings.Repeat("y", next%50)); e.Log != want {
				t.Fatalf("%s: %q, want %q", p, e.Log, want)
			}
			next++
		}
	}
	if next != 3001 {
		t.Errorf("%d lines back, want 3000", next-1)
	}
}

// A line over 16 KiB is cut into pieces of at most 16 KiB whether it
// comes in one read or many (docker's pieces do not depend on the reads).
func TestLongLinePieces(t *testing.T) {
	line := strings.Repeat("x", 40000) + "\n"
	for _, chunk := range []int{len(line), 8192, 1000} {
		path := filepath.Join(t.TempDir(), "c-json.log")
		l, err := openJSONLog(path, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		sp := &lineSplitter{stream: "stdout", log: l}
		for p := []byte(line); len(p) > 0; {
			n := min(chunk, len(p))
			sp.write(p[:n])
			p = p[n:]
		}
		sp.flush()
		l.close()
		b, _ := os.ReadFile(path)
		var all strings.Builder
		pieces := strings.Split(strings.TrimSpace(string(b)), "\n")
		for _, p := range pieces {
			var e struct{ Log string }
			if err := json.Unmarshal([]byte(p), &e); err != nil {
				t.Fatalf("bad line %q: %v", p, err)
			}
			if len(e.Log) > maxLine+chunk {
				t.Errorf("reads of %d: a piece of %d bytes", chunk, len(e.Log))
			}
			all.WriteString(e.Log)
		}
		if all.String() != line || len(pieces) < 3 {
			t.Errorf("reads of %d: %d pieces making %d bytes, want 3 or more making %d", chunk, len(pieces), all.Len(), len(line))
		}
	}
}
