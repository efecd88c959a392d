package runtime

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func cacheProfile(errno uint) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"mkdir", "chmod"}, Action: specs.ActErrno, ErrnoRet: &errno}}}
}

// The last profile compiled is remembered and read back the same; another
// profile, or a file that someone else could have written, is compiled
// again.
func TestSeccompCache(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cache")
	a, err := compileSeccomp(cacheProfile(1), file)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := seccompKey(cacheProfile(1))
	if !ok {
		t.Fatal("no key")
	}
	got := readSeccompCache(file, key)
	if got == nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("read back %+v, want %+v", got, a)
	}
	b, err := compileSeccomp(cacheProfile(2), file) // ErrnoRet differs
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Filter, b.Filter) {
		t.Fatalf("another profile, the same program")
	}
	if readSeccompCache(file, key) != nil {
		t.Errorf("the first profile's key still reads a program")
	}
	key2, _ := seccompKey(cacheProfile(2))
	if err := os.Chmod(file, 0o622); err != nil {
		t.Fatal(err)
	}
	if readSeccompCache(file, key2) != nil {
		t.Errorf("a group-writable cache was trusted")
	}
	os.Chmod(file, 0o600)
	raw, _ := os.ReadFile(file)
	if readSeccompCache(file, key2) == nil {
		t.Fatalf("the cache is not read back")
	}
	for _, cut := range []int{0, 10, len(raw) - 1} {
		if decodeSeccompCache(raw[:cut], key2) != nil {
			t.Errorf("a cache cut at %d decoded", cut)
		}
	}
	if _, err := compileSeccomp(cacheProfile(1), filepath.Join(t.TempDir(), "missing", "cache")); err != nil {
		t.Errorf("no directory: %v", err)
	}
	// A directory others may write to is not used.
	os.Chmod(dir, 0o777)
	os.Remove(file)
	if _, err := compileSeccomp(cacheProfile(1), file); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("a cache written in a world-writable directory")
	}
}
