package runtime

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/jsonlite"
)

// The hand-written encoders must decode, with encoding/json, into exactly
// what they encoded, including strings that need escaping.
func TestHandEncodersRoundTrip(t *testing.T) {
	odd := "a\"b\\c\nd\te\x01\x7f<>&\u2028é\xff"
	st := State{ID: "x" + odd, Pid: 42, StartTime: 123456789, Bundle: "/b/" + odd, Rootfs: "/r",
		Created: time.Date(2026, 11, 29, 5, 6, 7, 890, time.UTC), Cgroup: "jinn/x",
		CgroupMounts: []cgroups.Mount{{Point: "/sys/fs/cgroup/cpu,cpuacct", Type: "cgroup", Options: []string{"cpu", "cpuacct"}},
			{Point: "/sys/fs/cgroup/unified", Type: "cgroup2"}},
		CgroupControllers: []string{"hugetlb", "memory"},
		Config: json.RawMessage(`{"ociVersion": "1.2.0",
 "process": {"args": ["sh"]}}`)}
	var gotSt State
	if err := json.Unmarshal(st.marshal(), &gotSt); err != nil {
		t.Fatalf("state: %v\n%s", err, st.marshal())
	}
	want := st
	want.ID = "x" + "a\"b\\c\nd\te\x01\x7f<>&\u2028é\ufffd"
	want.Bundle = "/b/" + want.ID[1:]
	if !reflect.DeepEqual(gotSt, want) {
		t.Fatalf("state:\n got %+v\nwant %+v", gotSt, want)
	}

	cfg := initConfig{Config: st.Config, Process: json.RawMessage(`{"args":["x"]}`), ExtraEnv: []string{"A=1", odd},
		Rootfs: "/r", Bundle: "/b", Exec: true, NoPivot: true, NewKeyring: true, FifoFd: -1, ConsoleFd: 7,
		ExtraFds: 2, RootfsFd: 9, MountFds: map[int]int{3: 10, 1: 11}, CgroupTasks: []string{"/sys/fs/cgroup/pids/jinn/x/tasks", odd},
		CgroupMounts: []cgroups.Mount{{Point: "/a b/" + "\n", Type: "cgroup", Options: []string{"name=systemd"}}},
		State: specs.State{Version: specs.Version, ID: "x", Status: specs.StateCreating, Pid: 5, Bundle: "/b",
			Annotations: map[string]string{"k": odd, "a": ""}}}
	var gotCfg initConfig
	if err := json.Unmarshal(cfg.marshal(), &gotCfg); err != nil {
		t.Fatalf("init config: %v\n%s", err, cfg.marshal())
	}
	var wantCfg initConfig
	b, _ := json.Marshal(&cfg)
	json.Unmarshal(b, &wantCfg)
	gotCfg.Config = compact(t, gotCfg.Config) // encoding/json compacts a RawMessage
	if !reflect.DeepEqual(gotCfg, wantCfg) {
		t.Fatalf("init config:\n got %+v\nwant %+v", gotCfg, wantCfg)
	}
	empty := initConfig{Config: st.Config, FifoFd: 3, ConsoleFd: -1, State: specs.State{ID: "y"}}
	gotCfg, wantCfg = initConfig{}, initConfig{}
	json.Unmarshal(empty.marshal(), &gotCfg)
	b, _ = json.Marshal(&empty)
	json.Unmarshal(b, &wantCfg)
	gotCfg.Config = compact(t, gotCfg.Config)
	if !reflect.DeepEqual(gotCfg, wantCfg) {
		t.Fatalf("init config:\n got %+v\nwant %+v", gotCfg, wantCfg)
	}
	// The init decodes its config with jsonlite (init.go): the same
	// values as encoding/json, without falling back.
	empty.CgroupMounts = []cgroups.Mount{{Point: "/sys/fs/cgroup/cpu", Type: "cgroup", Options: []string{"cpu"}}}
	empty.CgroupTasks, empty.ExtraEnv = []string{"fd:5"}, []string{"A=1"}
	var lite, std initConfig
	if err := jsonlite.Unmarshal(empty.marshal(), &lite); err != nil {
		t.Fatalf("jsonlite: %v", err)
	}
	json.Unmarshal(empty.marshal(), &std)
	if !reflect.DeepEqual(lite, std) {
		t.Fatalf("init config by jsonlite:\n got %+v\nwant %+v", lite, std)
	}

	for _, m := range []message{{Type: msgReady}, {Type: msgPid, Pid: 7}, {Type: msgError, Msg: odd}} {
		var got, want message
		if err := json.Unmarshal(m.marshal(), &got); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m)
		json.Unmarshal(b, &want)
		if got != want {
			t.Fatalf("message: got %+v, want %+v", got, want)
		}
	}
}

func compact(t *testing.T, raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
