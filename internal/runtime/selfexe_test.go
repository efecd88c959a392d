package runtime

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The binary the init runs is on a read-only mount, so a handle on it can
// never be reopened for writing (this test binary is busy, so only the
// mount flag can be checked here; test/ checks the EROFS end to end).
func TestSealedExeIsReadOnly(t *testing.T) {
	p, done, err := sealedExe([]uintptr{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		t.Fatal(err)
	}
	if st.Flags&unix.ST_RDONLY == 0 {
		t.Fatalf("sealed binary's mount is writable (flags %#x)", st.Flags)
	}
}

func TestSealedCopyCannotBeWritten(t *testing.T) {
	p, done, err := sealedCopy(10)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err == nil {
		_, err = f.Write([]byte("x"))
		f.Close()
	}
	if !errors.Is(err, unix.EPERM) {
		t.Fatalf("write to sealed copy: %v, want EPERM", err)
	}
}

func BenchmarkSealedExe(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_, done, err := sealedExe([]uintptr{0, 1, 2})
		if err != nil {
			b.Fatal(err)
		}
		done()
	}
}

// The child's fd shuffle (dup2 onto 0..n-1, and temporaries from above the
// highest fd) never lands on the floor.
func TestExeFdFloor(t *testing.T) {
	if got := exeFdFloor([]uintptr{0, 1, 2, 7, 5}); got != 7+1+5+1 {
		t.Fatalf("floor %d", got)
	}
	if got := exeFdFloor([]uintptr{0, 1, 2}); got != 3+1+3+1 {
		t.Fatalf("floor %d", got)
	}
}
