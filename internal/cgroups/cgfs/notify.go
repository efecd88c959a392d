package cgfs

import (
	"context"
	"os"
)

// Notify turns reads of a kernel notification file (an eventfd or an
// inotify descriptor) into sends on the returned channel. After each
// wake-up, events reports how many sends the wake-up is worth and whether
// the cgroup still exists; the channel closes when it is gone, when ctx
// ends or when f fails. Notify owns f and closes it.
func Notify(ctx context.Context, f *os.File, bufSize int, events func() (n int, alive bool)) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		<-ctx.Done()
		f.Close()
	}()
	go func() {
		defer close(ch)
		buf := make([]byte, bufSize)
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			n, alive := events()
			if !alive {
				return
			}
			for ; n > 0; n-- {
				select {
				case ch <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch
}
