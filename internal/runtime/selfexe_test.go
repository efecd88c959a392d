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
	p, done, err := sealedExe()
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
	p, done, err := sealedCopy()
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
		_, done, err := sealedExe()
		if err != nil {
			b.Fatal(err)
		}
		done()
	}
}
