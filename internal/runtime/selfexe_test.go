package runtime

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSealedExeCannotBeWritten(t *testing.T) {
	p, done, err := sealedExe()
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
