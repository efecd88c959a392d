package ocicli

import (
	"github.com/jinn-containers/jinn/internal/runtime"
	"github.com/spf13/cobra"
)

func newRun(g *Global) *cobra.Command {
	var o runtime.CreateOpts
	var detach bool
	cmd := &cobra.Command{
		Use:   "run [flags] <container-id>",
		Short: "Create and start a container, and wait for it unless detached",
		Args:  exactArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			oneP()
			o.ID, o.Start = args[0], true
			r := g.Runtime()
			var relay *consoleRelay
			o.SeccompCache = r.SeccompCache()
			err := o.Load()
			if err != nil {
				return err
			}
			spec := o.Spec
			if !detach && o.ConsoleSocket == "" && spec.Process.Terminal {
				// A terminal with nobody to take the master: be the taker.
				if relay, err = newConsoleRelay(); err != nil {
					return err
				}
				o.Console = relay.remote
			}
			o.RunPlan = !detach && relay == nil && !g.Debug
			c, err := r.Create(o)
			if err != nil {
				return err
			}
			g.logger.Debug("container started", "id", o.ID, "pid", c.Pid, "bundle", c.State.Bundle)
			r.Poststart(c)
			if detach {
				c.Close()
				return nil
			}
			if relay != nil {
				if err := relay.start(); err != nil {
					return err
				}
				defer relay.stop()
			}
			// Unlock while the container runs so state, kill and exec work.
			c.Close()
			code := runtime.Wait(c.Pid)
			if relay != nil {
				relay.stop()
			}
			if err := r.Remove(c); err != nil && err != runtime.ErrNotExist {
				g.fatal(err)
			}
			return exitCode(code)
		},
	}
	createFlags(cmd.Flags(), &o)
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "detach from the container's process")
	return cmd
}
