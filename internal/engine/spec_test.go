package engine

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/jinn-containers/jinn/internal/recipe"
)

var update = flag.Bool("update", false, "rewrite the golden specs in testdata/spec")

// TestBuildSpecGolden pins the OCI spec buildSpec makes for one container
// per family of run flags: a change to the recipe or to a flag's mapping
// shows up as a diff of testdata/spec/<family>.json (go test -update
// rewrites them). The seccomp profile is summarised by its size.
func TestBuildSpecGolden(t *testing.T) {
	yes, pids := true, int64(50)
	for name, mod := range map[string]func(c *Container, in *specInput){
		"default": func(*Container, *specInput) {},
		"privileged": func(c *Container, _ *specInput) {
			c.Host.Privileged = true
		},
		"caps": func(c *Container, _ *specInput) {
			c.Host.CapDrop, c.Host.CapAdd = []string{"ALL"}, []string{"net_admin", "CAP_KILL"}
		},
		"user": func(c *Container, in *specInput) {
			in.user = execUser{UID: 1000, GID: 100, Home: "/home/u"}
			c.Config.WorkingDir = "/work"
		},
		"mounts": func(c *Container, _ *specInput) {
			c.Host.ReadonlyRootfs = true
			c.Mounts = []MountPoint{
				{Type: "bind", Source: "/src", Destination: "/dst"},
				{Type: "volume", Source: "/vol", Destination: "/data", RW: true, Propagation: "rshared"},
				{Type: "tmpfs", Destination: "/tmp", Options: "size=1m"},
			}
		},
		"resources": func(c *Container, _ *specInput) {
			r := &c.Host.Resources
			r.Memory, r.MemoryReservation, r.NanoCpus, r.CPUShares = 64<<20, 32<<20, 1.5e9, 512
			r.CpusetCpus, r.PidsLimit, r.BlkioWeight, r.OomKillDisable = "0", &pids, 300, &yes
			r.Ulimits = []Ulimit{{Name: "nofile", Soft: 100, Hard: 200}}
		},
		"blkio-realtime": func(c *Container, _ *specInput) {
			r := &c.Host.Resources
			r.CPURealtimePeriod, r.CPURealtimeRuntime = 1000000, 950
			r.BlkioDeviceReadIOps = []ThrottleDevice{{Path: "/dev/null", Rate: 100}}
			r.BlkioDeviceWriteIOps = []ThrottleDevice{{Path: "/dev/null", Rate: 200}}
			r.BlkioWeightDevice = []WeightDevice{{Path: "/dev/null", Weight: 300}}
		},
		"security": func(c *Container, _ *specInput) {
			c.Host.SecurityOpt = []string{"no-new-privileges", "seccomp=unconfined"}
		},
		"process": func(c *Container, in *specInput) {
			c.Config.Tty, c.Host.Init, c.Host.OomScoreAdj = true, true, 100
			in.consoleSize = [2]uint16{24, 80}
			in.netns = "" // --network host
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := &Container{ID: "0123456789ab", Path: "/bin/sh", Args: []string{"-c", "true"},
				Config: ContainerConfig{Hostname: "0123456789ab"}}
			in := &specInput{c: c, rootfs: "/rootfs", user: execUser{Home: "/root"}, env: []string{"PATH=/bin"},
				netns: "/run/jinn/netns/0123456789ab", hostDir: "/ctr", initBin: "/usr/libexec/jinn-init"}
			mod(c, in)
			s, err := buildSpec(in)
			if err != nil {
				t.Fatal(err)
			}
			if c.Host.Privileged {
				// The engine's bounding set is the host's: checked here,
				// pinned in the golden file as a placeholder.
				host, err := recipe.HostCaps()
				if err != nil {
					t.Fatal(err)
				}
				pc := s.Process.Capabilities
				if !slices.Equal(pc.Bounding, host) || !slices.Equal(pc.Effective, host) || !slices.Equal(pc.Permitted, host) {
					t.Errorf("privileged capabilities %v, the bounding set holds %v", pc, host)
				}
				hb := []string{"(the engine's bounding set)"}
				pc.Bounding, pc.Effective, pc.Permitted = hb, hb, hb
			}
			got := goldenJSON(t, s)
			path := filepath.Join("testdata", "spec", name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update makes it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("spec for %s differs from %s:\n%s", name, path, got)
			}
		})
	}
}

func goldenJSON(t *testing.T, s *specs.Spec) []byte {
	t.Helper()
	var summary any
	if sc := s.Linux.Seccomp; sc != nil {
		summary = map[string]any{"defaultAction": sc.DefaultAction, "rules": len(sc.Syscalls)}
		s.Linux.Seccomp = nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	if summary != nil {
		m["linux"].(map[string]any)["seccomp"] = summary
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}
