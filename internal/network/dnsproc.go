package network

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The DNS server of a user network runs as its own small process (the
// engine is daemonless): started by the first Setup on the network,
// stopped by the last Teardown or by network rm. Config.DNSCommand is its
// argv; the state dir and network name are appended, and fd 3 is a pipe it
// closes once it is listening.

func (m *Manager) dnsPidPath(network string) string {
	return filepath.Join(m.cfg.StateDir, "dns", network+".pid")
}

func (m *Manager) dnsArgv(network string) []string {
	return append(append([]string{}, m.cfg.DNSCommand...), m.cfg.StateDir, network)
}

// dnsRunning returns the pid of network's DNS server if it is alive and
// really is the process we started (pids get reused).
func (m *Manager) dnsRunning(network string) int {
	data, err := os.ReadFile(m.dnsPidPath(network))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0
	}
	// The argv ends in the state dir and network; the binary's path may be
	// spelled differently by different jinn invocations.
	want := []byte("\x00" + m.cfg.StateDir + "\x00" + network + "\x00")
	if !bytes.HasSuffix(cmdline, want) {
		return 0
	}
	return pid
}

func (m *Manager) startDNS(network string) error {
	if len(m.cfg.DNSCommand) == 0 || m.dnsRunning(network) != 0 {
		return nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		w.Close()
		return err
	}
	defer devnull.Close()
	argv := m.dnsArgv(network)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start dns for %s: %w", network, err)
	}
	w.Close()
	done := make(chan error, 1)
	go func() {
		var b [1]byte
		_, err := r.Read(b[:])
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		err = errors.New("timed out")
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("dns for %s did not start: %w", network, err)
	}
	if err := writeFileAtomic(m.dnsPidPath(network), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	cmd.Process.Release() // it outlives us; init reaps it
	return nil
}

func (m *Manager) stopDNS(network string) {
	if pid := m.dnsRunning(network); pid != 0 {
		syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 100 && m.dnsRunning(network) != 0; i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	os.Remove(m.dnsPidPath(network))
}
