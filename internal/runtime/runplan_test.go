package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jinn-containers/jinn/internal/plandir"
)

func TestStateTemplate(t *testing.T) {
	st := State{ID: "c1", Bundle: "/b", Rootfs: "/b/rootfs", Config: []byte(`{"ociVersion":"1.0.2"}`)}
	b, ok := stateTemplate(st)
	if !ok {
		t.Fatal("no template")
	}
	for _, h := range []string{holePid, holeStart, holeCreated} {
		if strings.Count(string(b), h) != 1 {
			t.Errorf("hole %q: %d in %q", h, strings.Count(string(b), h), b)
		}
	}
	// Rendered, it is the state's own JSON.
	st.Pid, st.StartTime, st.Created = 42, 7, time.Date(2026, 12, 7, 8, 0, 0, 120000000, time.UTC)
	r := strings.NewReplacer(holePid, "42", holeStart, "7", holeCreated, "2026-12-07T08:00:00.12Z").Replace(string(b))
	if r != string(st.marshal()) {
		t.Errorf("rendered %s\nwant %s", r, st.marshal())
	}
	// A sentinel that the config holds too: no template.
	st.Config = []byte(`{"x":1234567891}`)
	if _, ok := stateTemplate(st); ok {
		t.Error("a template with an ambiguous hole")
	}
}

func TestPrunePlans(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < runPlansKept+5; i++ {
		p := filepath.Join(dir, fmt.Sprintf("run-%03d", i))
		os.WriteFile(p, nil, 0o600)
		when := time.Unix(int64(1000+i), 0)
		os.Chtimes(p, when, when)
	}
	plandir.Prune(dir, "run-", runPlansKept)
	ents, _ := os.ReadDir(dir)
	if len(ents) != runPlansKept-1 || ents[0].Name() != "run-006" {
		t.Errorf("left %d, the oldest %s; want %d from run-006", len(ents), ents[0].Name(), runPlansKept-1)
	}
}

// RunPlanFile's name is the C run's (run.c: load): fnv-1a of the root,
// the bundle, the id's length, each ended by a NUL, and the config (the
// id and its prefix blanked out of the bundle and the config).
func TestRunPlanFile(t *testing.T) {
	t.Setenv(runPlanDirEnv, "/p")
	if got := RunPlanFile("/r", "/b", "abc", []byte("{}")); got != "/p/run-"+fnv1a("/r\x00/b\x003\x00{}") {
		t.Errorf("got %s", got)
	}
	id := "0123456789abcdef"
	got := RunPlanFile("/r", "/b/"+id+"/x/0123456789abc", id, []byte(`{"h":"0123456789ab"}`))
	if got != "/p/run-"+fnv1a("/r\x00/b/"+strings.Repeat("\x01", 16)+"/x/"+strings.Repeat("\x01", 12)+"c\x0016\x00"+
		`{"h":"`+strings.Repeat("\x01", 12)+`"}`) {
		t.Errorf("an id in the bundle: got %s", got)
	}
	if RunPlanFile("/r", "/b/fedcba9876543210/x/fedcba987654c", "fedcba9876543210", []byte(`{"h":"fedcba987654"}`)) != got {
		t.Error("another id's bundle: another plan")
	}
	t.Setenv(runPlanDirEnv, "off")
	if got := RunPlanFile("/r", "/b", "abc", []byte("{}")); got != "" {
		t.Errorf("plans off: %s", got)
	}
	t.Setenv(runPlanDirEnv, "/p")
	if got := RunPlanFile("rel", "/b", "abc", nil); got != "" {
		t.Errorf("a relative root: %s", got)
	}
}

func fnv1a(s string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return fmt.Sprintf("%016x", h)
}

func TestFindIDHoles(t *testing.T) {
	id := "0123456789abcdefXYZ"
	b := []byte("h=0123456789ab;" + id + ";" + id + "0123456789ab")
	holes, pre := findIDHoles(b, id)
	if fmt.Sprint(holes, pre) != "[15 35] [2 54]" {
		t.Errorf("holes %v, prefix holes %v", holes, pre)
	}
	other := strings.Repeat("q", len(id))
	if got := string(fillIDHoles(b, id, other)); got != "h=qqqqqqqqqqqq;"+other+";"+other+"qqqqqqqqqqqq" {
		t.Errorf("filled: %s", got)
	}
	if h, p := findIDHoles([]byte("abcabc"), "abc"); len(h) != 2 || len(p) != 0 {
		t.Errorf("a short id: %v %v", h, p)
	}
}
