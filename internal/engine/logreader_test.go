package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// rotatingLog writes numbered json-file lines and rotates as the monitor
// does (close, rename path.N-1 to path.N down to path to path.1, create).
type rotatingLog struct {
	path           string
	f              *os.File
	size, maxSize  int64
	maxFiles, next int
}

func (w *rotatingLog) write(lines int) {
	var b []byte
	for i := 0; i < lines; i++ {
		w.next++
		n := len(b)
		b = fmt.Appendf(b, `{"log":"%d %093d\n","stream":"stdout","time":"2026-12-06T21:00:00.000000001Z"}`+"\n", w.next, 0)
		if w.size+int64(len(b)) > w.maxSize && w.size+int64(n) > 0 {
			w.f.Write(b[:n])
			w.f.Close()
			for i := w.maxFiles - 1; i > 1; i-- {
				os.Rename(w.path+"."+strconv.Itoa(i-1), w.path+"."+strconv.Itoa(i))
			}
			os.Rename(w.path, w.path+".1")
			w.f, _ = os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o640)
			w.size = 0
			b = append(b[:0], b[n:]...)
		}
	}
	w.f.Write(b)
	w.size += int64(len(b))
}

// TestLogReaderFollowsRotations: a reader following a log rotated every
// few milliseconds sees every line once, in order, watching with inotify
// and by polling.
func TestLogReaderFollowsRotations(t *testing.T) {
	for _, poll := range []bool{false, true} {
		t.Run(fmt.Sprintf("poll=%v", poll), func(t *testing.T) { followRotations(t, poll) })
	}
}

func followRotations(t *testing.T, poll bool) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := &rotatingLog{path: path, f: f, maxSize: 512 << 10, maxFiles: 3}
	const total = 300000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for w.next < total {
			w.write(500)
			time.Sleep(100 * time.Microsecond)
		}
		w.f.Close()
	}()
	l := &logReader{path: path, poll: poll}
	defer l.close()
	l.scan()
	stop, _ := l.watch()
	// A third scanner, busy: scans at once must not open a file twice.
	hammerDone := make(chan struct{})
	go func() {
		defer close(hammerDone)
		for {
			select {
			case <-done:
				return
			default:
			}
			l.scan()
			time.Sleep(50 * time.Microsecond)
		}
	}()
	defer func() { <-hammerDone }()
	want, bad := 1, 0
	check := func(en *logEntry) {
		n := 0
		for _, c := range en.Log {
			if c == ' ' {
				break
			}
			n = n*10 + int(c-'0')
		}
		if n != want && bad < 5 {
			t.Errorf("line %d where %d was due", n, want)
			bad++
		}
		want = n + 1
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-time.After(2 * time.Millisecond):
		}
		l.scan()
		l.drain(check)
	}
	stop()
	if want-1 != total {
		t.Errorf("read up to line %d of %d", want-1, total)
	}
}
