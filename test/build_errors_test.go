package test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func execCommand(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func runJinn(e *buildEnv, args ...string) (string, error) {
	return execCommand(bin("jinn"), append([]string{"--root", e.root, "--runroot", e.runroot}, args...)...)
}

func TestBuildErrors(t *testing.T) {
	e := newBuildEnv(t)
	ctx := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, ctx, map[string]string{"f": "x", "ignored.key": "k", ".dockerignore": "*.key\n"})
	writeFiles(t, outside, map[string]string{"secret": "s"})
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(ctx, "abs-link"))
	os.Symlink("../../../../../../../../"+outside+"/secret", filepath.Join(ctx, "rel-link"))
	// A port nothing listens on: ADD of a URL there must fail fast and clearly.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + l.Addr().String() + "/file"
	l.Close()

	cases := []struct {
		name, df string
		args     []string
		want     string
	}{
		{"failing RUN", "FROM busybox\nRUN echo before\nRUN exit 3\nRUN echo never\n", nil, "step 3: RUN exit 3: returned a non-zero code: 3"},
		{"exec form not found", "FROM busybox\nRUN [\"/nonexistent\"]\n", nil, "step 2: RUN [\"/nonexistent\"]"},
		{"COPY ..", "FROM busybox\nCOPY ../f /f\n", nil, "forbidden path outside the build context"},
		{"COPY absolute symlink out", "FROM busybox\nCOPY abs-link /x\n", nil, "abs-link"},
		{"COPY relative symlink out", "FROM busybox\nCOPY rel-link /x\n", nil, "rel-link"},
		{"COPY missing", "FROM busybox\nCOPY nothere /x\n", nil, "file not found in build context"},
		{"COPY ignored", "FROM busybox\nCOPY ignored.key /x\n", nil, "excluded by .dockerignore"},
		{"COPY glob no match", "FROM busybox\nCOPY *.none /x/\n", nil, "no files in the build context match"},
		{"COPY many to file", "FROM busybox\nCOPY f .dockerignore /x\n", nil, "must be a directory"},
		{"COPY --from unknown", "FROM busybox\nCOPY --from=nosuch /a /a\n", nil, "nosuch"},
		{"ADD unreachable URL", "FROM busybox\nADD " + deadURL + " /x\n", nil, "the URL is unreachable"},
		{"unknown instruction", "FROM busybox\nFOO bar\n", nil, "unknown instruction: FOO"},
		{"no FROM", "RUN echo\n", nil, "before the first FROM"},
		{"missing base", "FROM nosuchimage:1\n", nil, "nosuchimage:1 not found"},
		{"bad target", "FROM busybox AS a\n", []string{"--target", "zzz"}, `target stage "zzz" could not be found`},
		{"unknown flag", "FROM busybox\nCOPY --bogus=1 f /f\n", nil, "unknown flag --bogus"},
		{"bad chown", "FROM busybox\nCOPY --chown=nobodyhere f /f\n", nil, "unable to find user nobodyhere"},
		{"bad expose", "FROM busybox\nEXPOSE 99999\n", nil, "invalid port"},
		{"bad network", "FROM busybox\n", []string{"--network", "bridge9"}, "not supported"},
		{"bad tag", "FROM busybox\n", []string{"-t", "UPPER:Case"}, "invalid tag"},
		{"shell not json", "FROM busybox\nSHELL /bin/bash -c\n", nil, "JSON form"},
		{"empty dockerfile", "\n", nil, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			writeFiles(t, ctx, map[string]string{"Dockerfile": c.df})
			args := append([]string{"-t", "mustnotexist"}, c.args...)
			if c.name == "bad tag" {
				args = c.args
			}
			out, err := e.build(append(args, ctx)...)
			if err == nil {
				t.Fatalf("build succeeded:\n%s", out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("error lacks %q:\n%s", c.want, out)
			}
			if strings.Contains(out, "panic") {
				t.Errorf("panic:\n%s", out)
			}
			if e.hasImage("mustnotexist") {
				t.Error("a failed build tagged its image")
			}
		})
	}
	if _, err := os.Stat(filepath.Join(outside, "x")); err == nil {
		t.Error("a COPY wrote outside")
	}
}

// TestBuildInterrupt: Ctrl-C during a RUN leaves no container, mount,
// cgroup or half-made layer, and the next build still works.
func TestBuildInterrupt(t *testing.T) {
	e := newBuildEnv(t)
	ctx := t.TempDir()
	writeFiles(t, ctx, map[string]string{"Dockerfile": "FROM busybox\nRUN echo started; sleep 60\n"})
	cmd := exec.Command(bin("jinn"), "--root", e.root, "--runroot", e.runroot, "build", "-t", "intr", ctx)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "started") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if err == nil {
		t.Fatalf("interrupted build succeeded:\n%s", out.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("interrupt took %v", d)
	}
	if !strings.Contains(out.String(), "interrupted") {
		t.Errorf("no word of the interrupt:\n%s", out.String())
	}
	if e.hasImage("intr") {
		t.Error("an interrupted build tagged its image")
	}
	if cg, _ := filepath.Glob(cgroupPath("memory", "build-*")); len(cg) > 0 {
		t.Errorf("cgroups left: %v", cg)
	}
	e.checkClean()
	writeFiles(t, ctx, map[string]string{"Dockerfile": "FROM busybox\nRUN echo again\n"})
	e.mustBuild("-t", "after", ctx)
}

// lockedBuffer is written by the command's copier while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
