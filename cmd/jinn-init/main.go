// Command jinn-init is the init that `jinn run --init` puts at PID 1 in a
// container (bind-mounted as /sbin/docker-init, like docker's tini): it runs
// the command, forwards signals to it, reaps orphans, and exits with the
// command's status. Usage: jinn-init -- COMMAND [ARG...]
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		os.Stderr.WriteString("usage: jinn-init -- COMMAND [ARG...]\n")
		os.Exit(2)
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs)
	path, err := lookPath(args[0])
	if err != nil {
		os.Stderr.WriteString("jinn-init: exec " + args[0] + ": " + err.Error() + "\n")
		os.Exit(127)
	}
	// The child gets its own process group (and the terminal, if any), so
	// signals reach the whole job.
	p, err := os.StartProcess(path, args, &os.ProcAttr{
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		os.Stderr.WriteString("jinn-init: " + err.Error() + "\n")
		os.Exit(126)
	}
	child := p.Pid
	for s := range sigs {
		if s == syscall.SIGCHLD {
			for {
				var ws syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
				if pid == child {
					if ws.Signaled() {
						os.Exit(128 + int(ws.Signal()))
					}
					os.Exit(ws.ExitStatus())
				}
			}
			continue
		}
		if sig, ok := s.(syscall.Signal); ok && sig != syscall.SIGURG {
			syscall.Kill(-child, sig)
		}
	}
}

func lookPath(name string) (string, error) {
	for _, c := range name {
		if c == '/' {
			return name, nil
		}
	}
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	start := 0
	for i := 0; i <= len(path); i++ {
		if i == len(path) || path[i] == ':' {
			dir := path[start:i]
			start = i + 1
			if dir == "" {
				dir = "."
			}
			p := dir + "/" + name
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", os.ErrNotExist
}
