package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/jinn-containers/jinn/internal/cgroups"
	"github.com/jinn-containers/jinn/internal/engine"
)

// engine builds the local engine for a command, once: every command sees
// the same engine (and through it one network manager). The image store
// is plugged in by newImages (engine_images.go).
func (o *Options) engine() (engine.Engine, error) {
	if o.eng == nil {
		e, err := o.newEngine()
		if err != nil {
			return nil, err
		}
		o.eng = e
	}
	return o.eng, nil
}

func (o *Options) newEngine() (engine.Engine, error) {
	self, _ := os.Executable()
	self, _ = filepath.EvalSymlinks(self)
	imgs, err := newImages(o)
	if err != nil {
		return nil, &engine.ExitError{Code: engine.ExitEngine, Err: err}
	}
	e, err := engine.New(engine.Config{Root: o.Root, RunRoot: o.RunRoot, Runtime: o.Runtime, Self: self,
		CgroupParent: o.CgroupParent, Rec: o.rec}, imgs)
	if err != nil {
		return nil, &engine.ExitError{Code: engine.ExitEngine, Err: err}
	}
	return e, nil
}

// usageError is bad command-line input: exit 125 from every command.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// flagError is docker's: "unknown flag: --x\nSee 'jinn run --help'.", exit 125.
func flagError(c *cobra.Command, err error) error {
	return usageError{fmt.Errorf("%v\nSee '%s --help'.", err, c.CommandPath())}
}

// ExitCode is docker's exit status for a command's error: 125 for bad
// usage and for run/create failures of the engine, the container's or
// exec's own code (126/127 included) as is, and 1 for other failures.
func ExitCode(cmd *cobra.Command, err error) int {
	if err == nil {
		return 0
	}
	var u usageError
	if errors.As(err, &u) {
		return engine.ExitEngine
	}
	code := engine.ExitCode(err)
	if cmd != nil && (cmd.Name() == "run" || cmd.Name() == "create") && (cmd.Parent() == nil || cmd.Parent().Parent() == nil || cmd.Parent().Name() == "container") {
		return code // not volume/network create: theirs are 1, as docker's
	}
	if code == engine.ExitEngine {
		return 1
	}
	return code
}

// exactArgs / minArgs give docker's messages and 125.
func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			what := "argument"
			if n > 1 {
				what = "arguments"
			}
			return usageError{fmt.Errorf("\"%s\" requires at least %d %s.\nSee '%s --help'.", c.CommandPath(), n, what, c.CommandPath())}
		}
		return nil
	}
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("\"%s\" requires exactly %d argument(s).\nSee '%s --help'.", c.CommandPath(), n, c.CommandPath())}
		}
		return nil
	}
}

// forEach runs fn on every argument like docker's multi-container
// commands: print the name on success, the error on failure, exit 1 if any failed.
func forEach(c *cobra.Command, args []string, fn func(string) error) error {
	failed := false
	for _, a := range args {
		if err := fn(a); err != nil {
			fmt.Fprintln(c.ErrOrStderr(), "Error response from daemon:", err)
			failed = true
			continue
		}
		fmt.Fprintln(c.OutOrStdout(), a)
	}
	if failed {
		return &engine.ExitError{Code: 1}
	}
	return nil
}

// terminal puts stdin in raw mode for a -t session and reports size changes.
type terminal struct {
	state  *term.State
	resize chan [2]uint16
	stop   func()
}

func newTerminal(ctx context.Context) *terminal {
	t := &terminal{}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return t
	}
	if st, err := term.MakeRaw(fd); err == nil {
		t.state = st
	}
	t.resize = make(chan [2]uint16, 4)
	send := func() {
		if w, h, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			select {
			case t.resize <- [2]uint16{uint16(h), uint16(w)}:
			default:
			}
		}
	}
	send()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				send()
			case <-done:
				return
			}
		}
	}()
	t.stop = func() { signal.Stop(ch); close(done) }
	return t
}

func (t *terminal) restore() {
	if t.state != nil {
		term.Restore(int(os.Stdin.Fd()), t.state)
	}
	if t.stop != nil {
		t.stop()
	}
}

// checkTTY is docker's: -it needs a terminal on stdin.
func checkTTY(tty, interactive bool) error {
	if tty && interactive && !term.IsTerminal(int(os.Stdin.Fd())) {
		return &engine.ExitError{Code: 1, Err: fmt.Errorf("the input device is not a TTY")}
	}
	return nil
}

// protectFromOOM is the runtime's protection (cgroups.Protect: plain
// syscalls, no write where the score is already low enough).
func protectFromOOM() { cgroups.Protect() }

// interruptible is the command's context, cancelled by Ctrl-C or SIGTERM,
// for the commands that stop cleanly on it (pull, build, logs -f, wait,
// ...). Others keep the signals' default, which ends jinn at once; run,
// start and attach forward them to the container instead.
func interruptible(c *cobra.Command) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
}

// keyValues parses a key=value list flag into a map (nil for none), in
// docker's words for one that is not.
func keyValues(flag string, kvs []string) (map[string]string, error) {
	var m map[string]string
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, badFlag("invalid argument %q for \"--%s\" flag: must be key=value", kv, flag)
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = v
	}
	return m, nil
}
