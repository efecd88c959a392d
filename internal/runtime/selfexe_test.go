package runtime

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSealedExeCannotBeWritten(t *testing.T) {
	for name, f := range map[string]func() (string, func(), error){"ro": roExe, "memfd": memfdExe} {
		p, done, err := f()
		if err != nil {
			if name == "ro" && os.Geteuid() != 0 {
				continue
			}
			t.Fatalf("%s: %v", name, err)
		}
		defer done()
		w, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err == nil {
			_, err = w.Write([]byte("x"))
			w.Close()
		}
		if name == "ro" && errors.Is(err, unix.ETXTBSY) {
			// This test runs the binary: the busy check comes first. Once
			// it has exited, the read-only mount is what stops a writer.
			var st unix.Statfs_t
			if err := unix.Statfs(p, &st); err != nil || st.Flags&unix.ST_RDONLY == 0 {
				t.Fatalf("ro: the binary's mount is not read-only: %v %#x", err, st.Flags)
			}
			continue
		}
		if !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EROFS) {
			t.Fatalf("%s: write to the runtime's binary: %v, want EPERM or EROFS", name, err)
		}
	}
}

func BenchmarkSealedExe(b *testing.B) {
	for name, f := range map[string]func() (string, func(), error){"ro": roExe, "memfd": memfdExe} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				_, done, err := f()
				if err != nil {
					b.Skip(err)
				}
				done()
			}
		})
	}
}
