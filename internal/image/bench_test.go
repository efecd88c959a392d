package image

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jinn-containers/jinn/internal/snapshot"
)

// BenchmarkRootfs times making (and tearing down) a container rootfs for a
// small and a large image: an overlay over the unpacked layers, so the
// cost must not grow with the image. bench/images.sh points
// JINN_BENCH_SMALL and JINN_BENCH_LARGE at docker-archives.
func BenchmarkRootfs(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	for _, c := range []struct{ name, env string }{{"small", "JINN_BENCH_SMALL"}, {"large", "JINN_BENCH_LARGE"}} {
		path := os.Getenv(c.env)
		if path == "" {
			b.Skipf("%s not set", c.env)
		}
		s, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		names, err := s.Load(context.Background(), f, LoadOptions{})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		img, err := s.Get(names[0])
		if err != nil {
			b.Fatal(err)
		}
		target := filepath.Join(b.TempDir(), "rootfs")
		os.Mkdir(target, 0o755)
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ms, err := s.Snapshots().Prepare("bench", string(img.ChainID))
				if err != nil {
					b.Fatal(err)
				}
				if err := snapshot.MountAll(ms, target); err != nil {
					b.Fatal(err)
				}
				if err := snapshot.UnmountAll(target); err != nil {
					b.Fatal(err)
				}
				if err := s.Snapshots().Remove("bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
