package monitor

import (
	"os"
	"os/exec"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"
)

// The reaper hears exits through pidfds: quickly (well before its 1 s
// tick), with the right status, and without a thread parked in os/signal
// or a blocking poll for each wait.
func TestReaperPidfd(t *testing.T) {
	if f, err := pidfdOpen(os.Getpid()); err != nil {
		t.Skipf("no pidfds (Linux 5.3): %v", err)
	} else {
		f.Close()
	}
	r := newReaper()
	threads0 := pprof.Lookup("threadcreate").Count()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	var chs []chan syscall.WaitStatus
	for i := 0; i < 20; i++ {
		p, err := os.StartProcess(sh, []string{"sh", "-c", "sleep 0.2; exit 7"}, &os.ProcAttr{})
		if err != nil {
			t.Fatal(err)
		}
		pid := p.Pid
		p.Release()
		chs = append(chs, r.wait(pid))
	}
	t0 := time.Now()
	for _, ch := range chs {
		select {
		case ws := <-ch:
			if ws.ExitStatus() != 7 {
				t.Fatalf("exit status %d, want 7", ws.ExitStatus())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no exit status in 5 s")
		}
	}
	if d := time.Since(t0); d > 800*time.Millisecond {
		t.Errorf("exits heard after %v: the tick, not the pidfds", d)
	}
	// 20 waits at once: a thread each would be 20 more.
	if n := pprof.Lookup("threadcreate").Count() - threads0; n > 4 {
		t.Errorf("%d threads made while waiting for 20 children", n)
	}
}

// waitExit returns once the process is gone, and not before.
func TestWaitExit(t *testing.T) {
	p, err := os.StartProcess("/bin/sleep", []string{"sleep", "0.3"}, &os.ProcAttr{})
	if err != nil {
		t.Skip(err)
	}
	f, err := pidfdOpen(p.Pid)
	if err != nil {
		p.Kill()
		p.Wait()
		t.Skipf("no non-blocking pidfds: %v", err)
	}
	t0 := time.Now()
	waitExit(f)
	if d := time.Since(t0); d < 200*time.Millisecond {
		t.Errorf("waitExit returned after %v, the process sleeps 0.3 s", d)
	}
	p.Wait()
}
