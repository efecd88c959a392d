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

// An exit heard before the process is ours: a grandchild exits while its
// parent lives on, and comes to us (a subreaper) as a zombie only when
// that parent exits, as a container's init under crun's helper does. Its
// status must come then, not at the reaper's slow tick.
func TestReaperExitBeforeReparent(t *testing.T) {
	if f, err := pidfdOpen(os.Getpid()); err != nil {
		t.Skipf("no pidfds (Linux 5.3): %v", err)
	} else {
		f.Close()
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, 36 /* PR_SET_CHILD_SUBREAPER */, 1, 0); e != 0 {
		t.Skipf("PR_SET_CHILD_SUBREAPER: %v", e)
	}
	defer syscall.RawSyscall(syscall.SYS_PRCTL, 36, 0, 0)
	r := newReaper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// The grandchild exits at 0.2 s; its parent, which never waits, at 0.6 s.
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "sh -c 'sleep 0.2; exit 5' & echo $!; exec sleep 0.6"},
		&os.ProcAttr{Files: []*os.File{nil, pw, os.Stderr}})
	if err != nil {
		t.Skip(err)
	}
	pw.Close()
	ppid := p.Pid // not waited for: nothing but the grandchild wakes the reaper
	p.Release()
	var line [32]byte
	n, _ := pr.Read(line[:])
	pr.Close()
	gpid := 0
	for _, c := range line[:n] {
		if c >= '0' && c <= '9' {
			gpid = gpid*10 + int(c-'0')
		}
	}
	if gpid == 0 {
		t.Fatalf("no grandchild pid in %q", line[:n])
	}
	t0 := time.Now()
	select {
	case ws := <-r.wait(gpid):
		if ws.ExitStatus() != 5 {
			t.Errorf("grandchild's exit status %d, want 5", ws.ExitStatus())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit status of the grandchild in 5 s")
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("grandchild's exit heard after %v: the tick, not its hand-over", d)
	}
	<-r.wait(ppid)
}
