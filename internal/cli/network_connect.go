package cli

import (
	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

func newNetworkConnectCmd(o *Options) *cobra.Command {
	var opts engine.ConnectOptions
	var driverOpts []string
	c := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a running container to a network",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			var err error
			if opts.DriverOpts, err = keyValues("driver-opt", driverOpts); err != nil {
				return err
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			return e.Connect(c.Context(), args[0], args[1], &opts)
		},
	}
	fs := c.Flags()
	stringArrayVar(fs, &opts.Aliases, "alias", nil, "Add network-scoped alias for the container")
	fs.StringSliceVar(&driverOpts, "driver-opt", nil, "driver options for the network")
	fs.IntVar(&opts.GwPriority, "gw-priority", 0, "Highest gw-priority provides the default gateway. Accepts positive and negative values.")
	fs.StringVar(&opts.IP, "ip", "", `IPv4 address (e.g., "172.30.100.104")`)
	fs.StringVar(&opts.IP6, "ip6", "", `IPv6 address (e.g., "2001:db8::33")`)
	stringArrayVar(fs, &opts.Links, "link", nil, "Add link to another container")
	fs.StringSliceVar(&opts.LinkLocalIPs, "link-local-ip", nil, "Add a link-local address for the container")
	for _, n := range []string{"driver-opt", "link-local-ip"} {
		fs.SetAnnotation(n, dockerTypeAnnotation, []string{"strings"})
	}
	return c
}

func newNetworkDisconnectCmd(o *Options) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			return e.Disconnect(c.Context(), args[0], args[1])
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "Force the container to disconnect from a network")
	return c
}

// newNetworkTeardownCmd is run by a container's monitor when the container
// ended for good: its veths, addresses and rules go (crash cleanup).
func newNetworkTeardownCmd(o *Options) *cobra.Command {
	var gen string
	c := &cobra.Command{
		Use:    "teardown [--generation G] CONTAINER-ID",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			m, err := o.networks()
			if err != nil {
				return err
			}
			return m.TeardownGeneration(c.Context(), args[0], gen)
		},
	}
	c.Flags().StringVar(&gen, "generation", "", "Only if the setup is still this one")
	return c
}
