package cliplan

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestTemplateHoles(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	r := New()
	r.Hole(HoleID, id)
	r.Hole(HoleID12, id[:12])
	r.HoleAt("/s/", "13", HoleSnap)
	r.HoleAt(`"id":`, "13", HoleSnap)
	r.Op("mkdir", "/c/"+id, 0o700)
	r.Op("write", "/c/"+id+"/hostname", 0o644, id[:12]+"\n")
	r.Op("mount", "upperdir=/s/13/fs,lowerdir=/s/130/fs:/s/1/fs")
	r.Op("xattr", `{"id":13,"n":131}`)
	ops, ok := r.Template()
	if !ok {
		t.Fatal("template refused")
	}
	want := []string{"/c/\x01", "\x02\n", "upperdir=/s/\x06/fs,lowerdir=/s/130/fs:/s/1/fs", `{"id":` + "\x06" + `,"n":131}`}
	got := []string{string(ops[0].Args[0]), string(ops[1].Args[2]), string(ops[2].Args[0]), string(ops[3].Args[0])}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("arg %d: %q, want %q", i, got[i], want[i])
		}
	}
	// A value holding a marker byte cannot be told from a hole.
	r.Op("write", "x", 0o600, "a\x03b")
	if _, ok := r.Template(); ok {
		t.Error("a marker byte in a value was taken")
	}
}

// A pid is a hole only as a whole number: not inside a larger constant
// (the spec's seccomp masks), where two runs' renders would differ.
func TestTemplateWholeNumbers(t *testing.T) {
	r := New()
	r.Hole(HoleMonPid, "14060")
	r.Op("write", "state", 0o600, "monitor_pid 14060\n")
	r.Op("write", "spec", 0o600, `{"value":2114060288,"n":140601}`)
	r.Op("write", "pid", 0o600, "14060 5333992\n")
	ops, ok := r.Template()
	if !ok {
		t.Fatal("template refused")
	}
	want := []string{"monitor_pid \x07\n", `{"value":2114060288,"n":140601}`, "\x07 5333992\n"}
	for i := range want {
		if got := string(ops[i].Args[2]); got != want[i] {
			t.Errorf("op %d: %q, want %q", i, got, want[i])
		}
	}
}

func TestNilRecorder(t *testing.T) {
	var r *Recorder
	r.Op("mkdir", "/x", 1)
	r.Hole(HoleID, "x")
	r.Refuse("x")
	r.KeyStat("/")
	if r.Active() || r.Refused() == "" {
		t.Error("a nil recorder records")
	}
}

func TestEncodeDump(t *testing.T) {
	b := Encode([]Op{{Kind: "write", Args: [][]byte{[]byte("/a\x01"), []byte("1\n2")}}, {Kind: "sync"}})
	if want := "write 2\n3\n/a\x01\n3\n1\n2\nsync 0\n"; string(b) != want {
		t.Fatalf("encode: %q", b)
	}
	if d := string(Dump(b)); d != "  write /a<ID> 1\\n2\n  sync\n" {
		t.Errorf("dump: %q", d)
	}
}

// A plan is served only once a second run rendered the same bytes; one
// that differs replaces the candidate; a directory others may write is
// not used.
func TestOfferProves(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("plans are root's")
	}
	dir := filepath.Join(t.TempDir(), "plans")
	file := filepath.Join(dir, "run-x")
	p := func(s string) *Plan { return &Plan{Key: []byte("k"), Ops: []byte(s)} }
	for i, c := range []struct{ ops, want string }{
		{"a", "candidate"}, {"b", "candidate"}, {"b", "proved"}, {"b", "same"}, {"c", "candidate"},
	} {
		if got := Offer(file, p(c.ops)); got != c.want {
			t.Errorf("offer %d: %s, want %s", i, got, c.want)
		}
	}
	got, err := Read(file)
	if err != nil || got.Proved || !bytes.Equal(got.Ops, []byte("c")) {
		t.Errorf("read: %+v %v", got, err)
	}
	os.Chmod(dir, 0o777)
	if Offer(file, p("c")) != "untrusted dir" || Trusted(dir) {
		t.Error("a directory others may write was used")
	}
}

func TestKeyEnv(t *testing.T) {
	got := KeyEnv([][]byte{[]byte("A=1"), []byte("_=/usr/bin/perf"), []byte("B=2")})
	if string(got) != "A=1\x00B=2" {
		t.Errorf("%q", got)
	}
}
