package cgfs

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// A temporary directory stands in for cgroupfs: its files are written and
// read as the kernel's would be.
func fakeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	d := t.TempDir()
	for name, body := range files {
		p := filepath.Join(d, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestParseUint(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "42\n": 42, "max": math.MaxUint64, "-1": math.MaxUint64, " 7 ": 7} {
		if got, err := ParseUint(in); err != nil || got != want {
			t.Errorf("ParseUint(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "1.5"} {
		if _, err := ParseUint(bad); err == nil {
			t.Errorf("ParseUint(%q) accepted", bad)
		}
	}
}

func TestReadFiles(t *testing.T) {
	d := fakeDir(t, map[string]string{
		"memory.max":       "max\n",
		"memory.stat":      "anon 4096\nfile 8192\nbroken\nodd x\n",
		"cgroup.procs":     "1\n2\n",
		"sub/cgroup.procs": "3\n",
	})
	if v, err := ReadUint(d, "memory.max"); err != nil || v != math.MaxUint64 {
		t.Errorf("ReadUint max = %d, %v", v, err)
	}
	m, err := ReadKeyed(d, "memory.stat")
	if err != nil || !reflect.DeepEqual(m, map[string]uint64{"anon": 4096, "file": 8192}) {
		t.Errorf("ReadKeyed = %v, %v (lines that do not parse are skipped)", m, err)
	}
	pids, err := ReadProcs(d)
	sort.Ints(pids)
	if err != nil || !reflect.DeepEqual(pids, []int{1, 2, 3}) {
		t.Errorf("ReadProcs = %v, %v (sub-cgroups included)", pids, err)
	}
	if !Exists(d, "memory.max") || Exists(d, "memory.swap.max") {
		t.Error("Exists")
	}
	if err := Write(d, "nope", "1"); err == nil {
		t.Error("Write created a file cgroupfs does not have")
	}
}

func TestPlanRollsBack(t *testing.T) {
	d := fakeDir(t, map[string]string{"a": "1", "b": "2", "io.max": "8:0 rbps=10\n8:16 rbps=20"})
	var p Plan
	p.Write(d, "a", "10")
	p.WriteDevice(d, "io.max", "8:0", "rbps=99", "rbps=max")
	p.WriteDevice(d, "io.max", "8:32", "rbps=5", "rbps=max")
	p.Write(d, "b", "20")
	p.Func(func() error { return errors.New("boom") }, nil)
	if p.Len() != 5 {
		t.Fatalf("Len = %d", p.Len())
	}
	if err := p.Commit(); err == nil {
		t.Fatal("Commit of a failing plan succeeded")
	}
	// Every file holds what it held before, newest undone first: the
	// device list gets back the old line and "none" for the new device.
	for file, want := range map[string]string{"a": "1", "b": "2", "io.max": "8:0 rbps=10"} {
		if got, _ := Read(d, file); got != want {
			t.Errorf("%s after rollback = %q, want %q", file, got, want)
		}
	}
	var ok Plan
	ok.Write(d, "a", "3")
	if err := ok.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := Read(d, "a"); got != "3" {
		t.Errorf("a = %q", got)
	}
}

func TestPageSizes(t *testing.T) {
	for b, name := range map[uint64]string{2 << 20: "2MB", 1 << 30: "1GB", 64 << 10: "64KB"} {
		if got := PageSizeName(b); got != name {
			t.Errorf("PageSizeName(%d) = %s", b, got)
		}
		if got, err := ParsePageSize(name); err != nil || got != b {
			t.Errorf("ParsePageSize(%s) = %d, %v", name, got, err)
		}
	}
	for _, bad := range []string{"2XB", "0MB", "MB"} {
		if _, err := ParsePageSize(bad); err == nil {
			t.Errorf("ParsePageSize(%q) accepted", bad)
		}
	}
	minus := int64(-1)
	if DevNum(nil) != "*" || DevNum(&minus) != "*" {
		t.Error("DevNum wildcard")
	}
}

// Mkdir makes the missing parents, outermost first, and reports only what
// it made.
func TestMkdirParents(t *testing.T) {
	root := t.TempDir()
	leaf := filepath.Join(root, "a", "b", "c")
	made, err := Mkdir(leaf)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b"), leaf}
	if !reflect.DeepEqual(made, want) {
		t.Errorf("made %q, want %q", made, want)
	}
	if made, err := Mkdir(leaf); err != nil || len(made) != 0 {
		t.Errorf("again: made %q, %v", made, err)
	}
	other := filepath.Join(root, "a", "d")
	if made, err := Mkdir(other); err != nil || !reflect.DeepEqual(made, []string{other}) {
		t.Errorf("sibling: made %q, %v", made, err)
	}
	if err := os.WriteFile(filepath.Join(root, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Mkdir(filepath.Join(root, "f", "x")); err == nil {
		t.Errorf("mkdir under a file worked")
	}
}

func TestPlanWrites(t *testing.T) {
	p := &Plan{}
	p.Write("/a", "f", "1")
	p.Save(func() error { return nil }, nil)
	p.WriteOnly("/a", "g", "2")
	w, ok := p.Writes()
	if !ok || len(w) != 2 || w[0] != (WriteOp{"/a", "f", "1"}) || w[1] != (WriteOp{"/a", "g", "2"}) {
		t.Errorf("writes %v, %v", w, ok)
	}
	p.Func(nil, nil)
	if _, ok := p.Writes(); ok {
		t.Error("a Func step is more than a write")
	}
	q := &Plan{}
	q.WriteDevice("/a", "f", "8:0", "1", "0")
	if _, ok := q.Writes(); ok {
		t.Error("a device write is more than a write")
	}
}
