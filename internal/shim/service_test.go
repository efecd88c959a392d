package shim

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskapi "github.com/containerd/containerd/api/runtime/task/v2"
	runcopts "github.com/containerd/containerd/api/types/runc/options"
	rtopts "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/jinn-containers/jinn/internal/cgroups"
)

func testService(t *testing.T) *service {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return newService(ctx, "test", newPublisher(ctx, "", "test", log), log, func() { t.Fatal("shim exited") })
}

func wantCode(t *testing.T, err error, c codes.Code, what string) {
	t.Helper()
	if status.Code(err) != c {
		t.Errorf("%s: %v, want code %s", what, err, c)
	}
}

func anyOf(t *testing.T, url string, m proto.Message) *anypb.Any {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return &anypb.Any{TypeUrl: url, Value: b}
}

func TestParseOptions(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "shim.toml")
	os.WriteFile(cfg, []byte("# jinn-shim\nRoot = \"/run/x\"\nSystemdCgroup = true\n"), 0o644)
	o, err := parseOptions(anyOf(t, "runtimeoptions.v1.Options", &rtopts.Options{ConfigPath: cfg}))
	if err != nil || o.Root != "/run/x" || !o.SystemdCgroup {
		t.Errorf("ConfigPath: %+v, %v", o, err)
	}
	o, err = parseOptions(anyOf(t, "containerd.runc.v1.Options", &runcopts.Options{Root: "/run/y", NoPivotRoot: true}))
	if err != nil || o.Root != "/run/y" || !o.NoPivotRoot {
		t.Errorf("runc options: %+v, %v", o, err)
	}
	os.WriteFile(cfg, []byte("Colour = \"blue\"\n"), 0o644)
	for what, a := range map[string]*anypb.Any{
		"unknown key":   anyOf(t, "runtimeoptions.v1.Options", &rtopts.Options{ConfigPath: cfg}),
		"missing file":  anyOf(t, "runtimeoptions.v1.Options", &rtopts.Options{ConfigPath: cfg + ".none"}),
		"relative root": anyOf(t, "containerd.runc.v1.Options", &runcopts.Options{Root: "run"}),
		"BinaryName":    anyOf(t, "containerd.runc.v1.Options", &runcopts.Options{BinaryName: "runc"}),
		"other type":    {TypeUrl: "example.Options", Value: []byte{1}},
		"garbage":       {TypeUrl: "containerd.runc.v1.Options", Value: []byte{0xff, 0xff}},
	} {
		if _, err := parseOptions(a); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}

// TestCreateBadInput: a bad bundle, options or id get a clear error with
// the code containerd expects, and leave no task behind.
func TestCreateBadInput(t *testing.T) {
	s := testService(t)
	ctx := context.Background()
	bundle := t.TempDir()
	_, err := s.Create(ctx, &taskapi.CreateTaskRequest{ID: "a", Bundle: bundle})
	wantCode(t, err, codes.InvalidArgument, "no config.json")
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("no config.json: %v", err)
	}
	os.WriteFile(filepath.Join(bundle, "config.json"), []byte("{"), 0o644)
	_, err = s.Create(ctx, &taskapi.CreateTaskRequest{ID: "a", Bundle: bundle})
	wantCode(t, err, codes.InvalidArgument, "bad config.json")
	_, err = s.Create(ctx, &taskapi.CreateTaskRequest{ID: "../a", Bundle: bundle})
	wantCode(t, err, codes.InvalidArgument, "bad id")
	_, err = s.Create(ctx, &taskapi.CreateTaskRequest{ID: "a", Bundle: bundle,
		Options: &anypb.Any{TypeUrl: "example.Options"}})
	wantCode(t, err, codes.InvalidArgument, "unknown options")
	_, err = s.Create(ctx, &taskapi.CreateTaskRequest{ID: "a", Bundle: bundle, Checkpoint: "/x"})
	wantCode(t, err, codes.Unimplemented, "checkpoint")
	if len(s.containers) != 0 {
		t.Errorf("tasks left: %v", s.containers)
	}
	// An id in use.
	s.containers["b"] = &container{id: "b", init: newProcess("", &stdio{}), execs: map[string]*process{}}
	_, err = s.Create(ctx, &taskapi.CreateTaskRequest{ID: "b", Bundle: bundle})
	wantCode(t, err, codes.AlreadyExists, "existing id")
}

func TestExecBadInput(t *testing.T) {
	s := testService(t)
	ctx := context.Background()
	init := newProcess("", &stdio{})
	init.pid, init.started = 1, true
	s.containers["c"] = &container{id: "c", init: init, execs: map[string]*process{}}
	spec := &anypb.Any{TypeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Process", Value: []byte(`{"args":["true"],"cwd":"/"}`)}
	if _, err := s.Exec(ctx, &taskapi.ExecProcessRequest{ID: "c", ExecID: "e1", Spec: spec}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Exec(ctx, &taskapi.ExecProcessRequest{ID: "c", ExecID: "e1", Spec: spec})
	wantCode(t, err, codes.AlreadyExists, "exec id reused")
	_, err = s.Exec(ctx, &taskapi.ExecProcessRequest{ID: "c", ExecID: "e2", Spec: &anypb.Any{Value: []byte("{")}})
	wantCode(t, err, codes.InvalidArgument, "bad process spec")
	_, err = s.Exec(ctx, &taskapi.ExecProcessRequest{ID: "c", ExecID: "e3",
		Spec: &anypb.Any{Value: []byte(`{"args":[]}`)}})
	wantCode(t, err, codes.InvalidArgument, "empty args")
	_, err = s.Exec(ctx, &taskapi.ExecProcessRequest{ID: "nope", ExecID: "e4", Spec: spec})
	wantCode(t, err, codes.NotFound, "unknown container")
	_, err = s.Checkpoint(ctx, &taskapi.CheckpointTaskRequest{ID: "c"})
	wantCode(t, err, codes.Unimplemented, "checkpoint")
	_, err = s.State(ctx, &taskapi.StateRequest{ID: "c", ExecID: "nope"})
	wantCode(t, err, codes.NotFound, "unknown exec")
}

func TestMetrics(t *testing.T) {
	var s cgroups.Stats
	s.CPU.Usage.Total, s.Memory.Usage.Usage, s.Pids.Current = 5000, 1<<20, 3
	s.Memory.Raw = map[string]uint64{"total_inactive_file": 4096, "inactive_file": 8192}
	s.Memory.OOMKill = 2
	m1 := metricsV1(&s)
	if m1.CPU.Usage.Total != 5000 || m1.Memory.Usage.Usage != 1<<20 || m1.Memory.TotalInactiveFile != 4096 || m1.Pids.Current != 3 {
		t.Errorf("v1: %v", m1)
	}
	m2 := metricsV2(&s)
	if m2.CPU.UsageUsec != 5 || m2.Memory.Usage != 1<<20 || m2.Memory.InactiveFile != 8192 || m2.MemoryEvents.OomKill != 2 {
		t.Errorf("v2: %v", m2)
	}
	a, err := metrics(&s)
	if err != nil || (a.TypeUrl != "io.containerd.cgroups.v1.Metrics" && a.TypeUrl != "io.containerd.cgroups.v2.Metrics") {
		t.Errorf("metrics: %v %v", a.GetTypeUrl(), err)
	}
}

// TestPublishBinary: without a ttrpc address, events go through
// containerd's publish command, in order.
func TestPublishBinary(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	bin := filepath.Join(dir, "containerd")
	os.WriteFile(bin, []byte("#!/bin/sh\necho \"$@ $(wc -c)\" >> "+out+"\n"), 0o755)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newPublisherBinary(ctx, "", "ns1", bin, "/run/c.sock", slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.publish("/tasks/start", &eventstypes.TaskStart{ContainerID: "c", Pid: 7})
	p.publish("/tasks/exit", &eventstypes.TaskExit{ContainerID: "c", ID: "c", Pid: 7, ExitStatus: 3})
	p.close(5 * time.Second)
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "--address /run/c.sock publish --topic /tasks/start --namespace ns1 ") ||
		!strings.HasPrefix(lines[1], "--address /run/c.sock publish --topic /tasks/exit --namespace ns1 ") {
		t.Errorf("publish commands:\n%s", b)
	}
}

func TestOutputFile(t *testing.T) {
	if _, ok, err := outputFile("/run/containerd/fifo/x-stdout"); ok || err != nil {
		t.Errorf("a fifo path: %v %v", ok, err)
	}
	for _, bad := range []string{"binary:///usr/bin/logger", "file://relative/x", "tcp://1.2.3.4"} {
		if _, ok, err := outputFile(bad); !ok || err == nil {
			t.Errorf("%s: %v %v", bad, ok, err)
		}
	}
	p := filepath.Join(t.TempDir(), "out.log")
	os.WriteFile(p, []byte("old\n"), 0o640)
	f, ok, err := outputFile("file://" + p)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	f.WriteString("new\n")
	f.Close()
	if b, _ := os.ReadFile(p); string(b) != "old\nnew\n" {
		t.Errorf("appended: %q", b)
	}
}
