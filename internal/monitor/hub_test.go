package monitor

import (
	"net"
	"testing"
	"time"
)

// TestHubAnnounce: a --rm exit goes out as "CODE rm+" before the runtime's
// delete, FrameDeleted follows from finish, and finish reports the
// client's removal; a client attaching after the announce gets a plain
// exit frame.
func TestHubAnnounce(t *testing.T) {
	dir := t.TempDir()
	h := newHub()
	if err := h.listen(dir, "a.sock"); err != nil {
		t.Fatal(err)
	}
	dial := func() net.Conn {
		path, done, err := ShortPath(dir, "a.sock")
		if err != nil {
			t.Fatal(err)
		}
		defer done()
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	c := dial()
	defer c.Close()
	for i := 0; ; i++ { // serve registers the client asynchronously
		h.mu.Lock()
		n := len(h.clients)
		h.mu.Unlock()
		if n == 1 {
			break
		}
		if i > 500 {
			t.Fatal("client never registered")
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.announce(3)
	typ, p, err := ReadFrame(c)
	if err != nil || typ != FrameExit || string(p) != "3 rm+" {
		t.Fatalf("first frame: %d %q %v, want exit \"3 rm+\"", typ, p, err)
	}
	late := dial()
	defer late.Close()
	typ, p, err = ReadFrame(late)
	if err != nil || typ != FrameExit || string(p) != "3" {
		t.Fatalf("late client: %d %q %v, want exit \"3\"", typ, p, err)
	}
	res := make(chan bool, 1)
	go func() { res <- h.finish(3, true) }()
	typ, _, err = ReadFrame(c)
	if err != nil || typ != FrameDeleted {
		t.Fatalf("second frame: %d %v, want FrameDeleted", typ, err)
	}
	if err := WriteFrame(c, FrameRemoved, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case removed := <-res:
		if !removed {
			t.Error("finish: the client's removal not seen")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("finish did not return")
	}
}
