package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/cliplan"
	"github.com/jinn-containers/jinn/internal/engine"
)

func newRunCmd(o *Options) *cobra.Command {
	f := &createFlags{}
	var detach bool
	var detachKeys string
	var sigProxy bool
	c := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		RunE: func(c *cobra.Command, args []string) (err error) {
			o.beginRunPlan(c, f, detach)
			defer func() { o.endRunPlan(err) }()
			opts, err := f.options(c.Flags(), args)
			if err != nil {
				return err
			}
			if detach && len(f.more.attach) > 0 {
				return badFlag("Conflicting options: -a and -d")
			}
			if err := checkTTY(opts.Config.Tty && !detach, opts.Config.OpenStdin); err != nil {
				return err
			}
			keys, err := engine.ParseDetachKeys(detachKeys)
			if err != nil {
				return badFlag("%v", err)
			}
			if opts.Runtime == "" {
				opts.Runtime = o.Runtime
			}
			if err := f.more.prepare(c, o, opts); err != nil {
				return err
			}
			if err := f.res.apiSocket(o, opts); err != nil {
				return err
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			ctx := c.Context()
			// Not begun early when more networks are to be recorded first.
			opts.StartNow, opts.Attached = len(f.extraNets) == 0, !detach
			ctr, err := e.Create(ctx, opts)
			if err != nil {
				return err
			}
			if err := f.connectExtra(c.Context(), e, ctr.ID); err != nil {
				return err
			}
			for _, w := range ctr.Warnings {
				fmt.Fprintln(c.ErrOrStderr(), "WARNING: "+w)
			}
			if err := f.more.created(ctr.ID); err != nil {
				return err
			}
			if detach {
				if _, err := e.Start(ctx, ctr.ID, nil); err != nil {
					return err
				}
				fmt.Fprintln(c.OutOrStdout(), ctr.ID)
				return nil
			}
			if o.rec != nil && sigProxy {
				// sig-proxy's kill, as runAttached's e.Kill: the replay
				// runs this jinn's kill (Go's) with the signal's number.
				self, _ := os.Executable()
				o.rec.Hole(cliplan.HoleSig, cliplan.SignalSlot)
				o.rec.Op("sigproxy", strings.Join([]string{self, "--root", o.Root, "--runroot", o.RunRoot, "kill", "--signal", cliplan.SignalSlot, ctr.ID}, "\x00"))
			}
			return runAttached(ctx, e, ctr.ID, opts.Config.Tty, opts.Config.OpenStdin, keys, sigProxy, func(a *engine.AttachOptions) (int, error) {
				// -a: the streams not named are not shown.
				if !f.more.attached("stdout") {
					a.Stdout = io.Discard
				}
				if !f.more.attached("stderr") {
					a.Stderr = io.Discard
				}
				if len(f.more.attach) > 0 && !f.more.attached("stdin") {
					a.Stdin = nil
				}
				return e.Start(ctx, ctr.ID, a)
			})
		},
	}
	c.Flags().BoolVarP(&detach, "detach", "d", false, "Run container in background and print container ID")
	c.Flags().StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	c.Flags().BoolVar(&sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	f.register(c.Flags())
	return c
}

// runAttached runs fn with the terminal's streams and returns the
// container's exit code as the command's.
func runAttached(ctx context.Context, e engine.Engine, id string, tty, stdin bool, keys []byte, sigProxy bool, fn func(*engine.AttachOptions) (int, error)) error {
	a := &engine.AttachOptions{Stdout: os.Stdout, Stderr: os.Stderr, Tty: tty, DetachKeys: keys}
	if stdin {
		a.Stdin = os.Stdin
	}
	if tty {
		t := newTerminal(ctx)
		defer t.restore()
		a.Resize = t.resize
	}
	if sigProxy && !tty {
		ch := make(chan os.Signal, 4)
		// SIGHUP is not passed on: closing the terminal leaves the
		// container running under its monitor.
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
		signal.Ignore(syscall.SIGHUP)
		// Not signal.Stop: the command ends when this returns, and Stop
		// waits for the runtime's signal loop to go idle, which the
		// monitor's SIGCHLD (it exits as the container's removal ends)
		// keeps busy: 0.3-0.5 ms at the end of every run. A signal that
		// comes after the return is no longer passed on.
		var done atomic.Bool
		defer done.Store(true)
		go func() {
			for s := range ch {
				if !done.Load() {
					e.Kill(ctx, id, fmt.Sprint(int(s.(syscall.Signal))))
				}
			}
		}()
	}
	code, err := fn(a)
	if err != nil {
		return err
	}
	if code != 0 {
		return &engine.ExitError{Code: code}
	}
	return nil
}
