package ocicli

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

type execFlags struct {
	process, cwd, user, label, apparmor string
	env, caps, gids                     []string
	tty, detach, noNewPrivs             bool
}

func newExec(g *Global) *cobra.Command {
	var o runtime.ExecOpts
	var f execFlags
	cmd := &cobra.Command{
		Use:   "exec [flags] <container-id> <command> [args...]",
		Short: "Run a process in a running container",
		Args:  minArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			oneP()
			r := g.Runtime()
			o.ID = args[0]
			spec, err := r.Spec(o.ID)
			if err != nil {
				return err
			}
			if o.Process, err = f.build(spec, args[1:]); err != nil {
				return err
			}
			var relay *consoleRelay
			if o.Process.Terminal && o.ConsoleSocket == "" && !f.detach {
				if relay, err = newConsoleRelay(); err != nil {
					return err
				}
				o.Console = relay.remote
			}
			pid, err := r.Exec(o)
			if err != nil {
				return err
			}
			if f.detach {
				return nil
			}
			if relay != nil {
				if err := relay.start(); err != nil {
					return err
				}
				defer relay.stop()
			}
			code := runtime.Wait(pid)
			if relay != nil {
				relay.stop()
			}
			return exitCode(code)
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.StringVarP(&f.process, "process", "p", "", "path to process.json")
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-TTY")
	fl.StringVar(&o.ConsoleSocket, "console-socket", "", "path to an AF_UNIX socket which will receive the pty master")
	fl.BoolVarP(&f.detach, "detach", "d", false, "detach from the process")
	fl.StringVar(&o.PidFile, "pid-file", "", "file to write the process's pid to")
	fl.StringVar(&f.cwd, "cwd", "", "working directory in the container")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable")
	fl.StringVarP(&f.user, "user", "u", "", "uid[:gid]")
	fl.StringArrayVarP(&f.gids, "additional-gids", "g", nil, "additional gids")
	fl.StringArrayVarP(&f.caps, "cap", "c", nil, "add a capability")
	fl.BoolVar(&f.noNewPrivs, "no-new-privs", false, "set no_new_privs")
	fl.IntVar(&o.PreserveFDs, "preserve-fds", 0, "pass N additional file descriptors")
	fl.StringVar(&f.label, "process-label", "", "unused: no SELinux")
	fl.StringVar(&f.apparmor, "apparmor", "", "unused: no AppArmor")
	return cmd
}

// build makes the exec'd process: process.json as is, or the container's
// process with the command line's args and changes.
func (f *execFlags) build(spec *specs.Spec, args []string) (*specs.Process, error) {
	if f.process != "" {
		b, err := os.ReadFile(f.process)
		if err != nil {
			return nil, fmt.Errorf("read process.json: %w", err)
		}
		var p specs.Process
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("parse process.json: %w", err)
		}
		if len(p.Args) == 0 {
			return nil, fmt.Errorf("process.json: args must not be empty")
		}
		return &p, nil
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("exec: arguments to run are required")
	}
	p := *spec.Process
	p.Args = args
	p.Terminal = f.tty
	p.ConsoleSize = nil
	p.Env = append(append([]string{}, p.Env...), f.env...)
	if f.cwd != "" {
		p.Cwd = f.cwd
	}
	if f.user != "" {
		uid, gid, hasGid := strings.Cut(f.user, ":")
		u, err := strconv.ParseUint(uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parse user %q: want uid[:gid]", f.user)
		}
		p.User = specs.User{UID: uint32(u)}
		if hasGid {
			g, err := strconv.ParseUint(gid, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("parse user %q: want uid[:gid]", f.user)
			}
			p.User.GID = uint32(g)
		}
	}
	for _, s := range f.gids {
		g, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parse additional gid %q", s)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	if len(f.caps) > 0 {
		c := specs.LinuxCapabilities{}
		if p.Capabilities != nil {
			c = *p.Capabilities
		}
		for _, name := range f.caps {
			c.Bounding = append(c.Bounding, name)
			c.Effective = append(c.Effective, name)
			c.Permitted = append(c.Permitted, name)
		}
		p.Capabilities = &c
	}
	if f.noNewPrivs {
		p.NoNewPrivileges = true
	}
	return &p, nil
}
