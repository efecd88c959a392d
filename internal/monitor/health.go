package monitor

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// startHealth runs the health check while the container runs; the returned
// func stops it.
func (m *monitor) startHealth(pid int) func() {
	h := m.cfg.Health
	if h == nil || len(h.Test) == 0 {
		return func() {}
	}
	stop := make(chan struct{})
	UpdateState(m.cfg.StateDir, func(s *State) { s.Health = &HealthState{Status: "starting", Log: []HealthLog{}} })
	go func() {
		began := time.Now()
		for {
			wait := h.Interval
			if h.StartInterval > 0 && time.Since(began) < h.StartPeriod {
				wait = h.StartInterval
			}
			select {
			case <-stop:
				return
			case <-time.After(wait):
			}
			start := time.Now()
			code, out := m.healthOnce(h)
			end := time.Now()
			UpdateState(m.cfg.StateDir, func(s *State) {
				if s.Health == nil {
					s.Health = &HealthState{Status: "starting"}
				}
				hs := s.Health
				hs.Log = append(hs.Log, HealthLog{Start: start.UTC(), End: end.UTC(), ExitCode: code, Output: out})
				if len(hs.Log) > 5 {
					hs.Log = hs.Log[len(hs.Log)-5:]
				}
				if code == 0 {
					hs.Status, hs.FailingStreak = "healthy", 0
					return
				}
				if time.Since(began) < h.StartPeriod {
					return
				}
				hs.FailingStreak++
				if hs.FailingStreak >= h.Retries {
					hs.Status = "unhealthy"
				}
			})
		}
	}()
	return func() { close(stop) }
}

// healthOnce runs the check with `runtime exec`; the process spec is
// health.json beside the bundle's config.json.
func (m *monitor) healthOnce(h *Health) (int, string) {
	rp, wp, err := os.Pipe()
	if err != nil {
		return -1, err.Error()
	}
	argv := append(append([]string{m.cfg.Runtime}, m.cfg.RuntimeArgs...),
		"exec", "--process", filepath.Join(m.cfg.Bundle, "health.json"), m.cfg.ID)
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{Files: []*os.File{m.devnul, wp, wp}, Sys: &syscall.SysProcAttr{Setpgid: true}})
	wp.Close()
	if err != nil {
		rp.Close()
		return -1, err.Error()
	}
	pid := p.Pid
	p.Release()
	outCh := make(chan []byte, 1)
	go func() { b, _ := readAll(rp); rp.Close(); outCh <- b }()
	ch := m.r.wait(pid)
	var ws syscall.WaitStatus
	select {
	case ws = <-ch:
	case <-time.After(h.Timeout):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-ch
		return -1, "Health check exceeded timeout"
	}
	out := <-outCh
	if len(out) > 4096 {
		out = out[:4096]
	}
	return exitCode(ws), strings.TrimRight(string(out), "\n") + "\n"
}
