package ocicli

import (
	"github.com/jinn-containers/jinn/internal/runtime"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func createFlags(f *pflag.FlagSet, o *runtime.CreateOpts) {
	f.StringVarP(&o.Bundle, "bundle", "b", ".", "path to the root of the bundle directory")
	f.StringVar(&o.ConsoleSocket, "console-socket", "", "path to an AF_UNIX socket which will receive the pty master")
	f.StringVar(&o.PidFile, "pid-file", "", "file to write the init's pid to")
	f.BoolVar(&o.NoPivot, "no-pivot", false, "do not use pivot_root (chroot instead)")
	f.BoolVar(&o.NoNewKeyring, "no-new-keyring", false, "do not create a new session keyring")
	f.IntVar(&o.PreserveFDs, "preserve-fds", 0, "pass N additional file descriptors to the container")
}

func newCreate(g *Global) *cobra.Command {
	var o runtime.CreateOpts
	cmd := &cobra.Command{
		Use:   "create [flags] <container-id>",
		Short: "Create a container",
		Args:  exactArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			oneP()
			o.ID = args[0]
			c, err := g.Runtime().Create(o)
			if err != nil {
				return err
			}
			g.logger.Debug("container created", "id", o.ID, "pid", c.Pid, "bundle", c.State.Bundle)
			c.Close()
			return nil
		},
	}
	createFlags(cmd.Flags(), &o)
	return cmd
}
