package cli

import (
	"fmt"
	"net"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/network"
)

func newNetworkCreateCmd(o *Options) *cobra.Command {
	var opts network.NetworkOptions
	var driver, ipamDriver, scope string
	ipv4 := true
	var labels, driverOpts, aux, subnets, gateways, ipamOpts []string
	c := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if driver != "bridge" {
				return fmt.Errorf("network driver %q is not supported: only bridge", driver)
			}
			if err := networkDriverOpts(&opts, driverOpts); err != nil {
				return err
			}
			if ipamDriver != "default" {
				return badFlag("IPAM driver %q is not supported: only default", ipamDriver)
			}
			if scope != "" && scope != "local" {
				return badFlag("scope %q is not supported: only local networks (jinn has no swarm)", scope)
			}
			var err error
			if opts.IPAMOptions, err = keyValues("ipam-opt", ipamOpts); err != nil {
				return err
			}
			if err := networkSubnets(&opts, subnets, gateways); err != nil {
				return err
			}
			opts.NoIPv4 = !ipv4
			for _, a := range aux {
				host, ip, ok := strings.Cut(a, "=")
				if !ok || host == "" {
					return badFlag("invalid auxiliary address %q: want HOST=IP", a)
				}
				if opts.AuxAddresses == nil {
					opts.AuxAddresses = map[string]string{}
				}
				opts.AuxAddresses[host] = ip
			}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				if opts.Labels == nil {
					opts.Labels = map[string]string{}
				}
				opts.Labels[k] = v
			}
			m, err := o.networks()
			if err != nil {
				return err
			}
			n, err := m.CreateNetwork(c.Context(), args[0], opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), n.ID)
			return nil
		},
	}
	f := c.Flags()
	f.BoolVar(&opts.Attachable, "attachable", false, "Enable manual container attachment")
	f.StringVar(&opts.ConfigFrom, "config-from", "", "The network from which to copy the configuration")
	f.BoolVar(&opts.ConfigOnly, "config-only", false, "Create a configuration only network")
	f.StringVar(&ipamDriver, "ipam-driver", "default", "IP Address Management Driver")
	stringArrayVar(f, &ipamOpts, "ipam-opt", nil, "Set IPAM driver specific options")
	f.SetAnnotation("ipam-opt", dockerTypeAnnotation, []string{"map"})
	f.StringVar(&scope, "scope", "", "Control the network's scope")
	f.StringVarP(&driver, "driver", "d", "bridge", "Driver to manage the Network")
	stringArrayVar(f, &subnets, "subnet", nil, "Subnet in CIDR format that represents a network segment")
	stringArrayVar(f, &gateways, "gateway", nil, "IPv4 or IPv6 Gateway for the master subnet")
	f.BoolVar(&ipv4, "ipv4", true, "Enable or disable IPv4 address assignment")
	f.BoolVar(&opts.IPv6, "ipv6", false, "Enable or disable IPv6 address assignment")
	f.BoolVar(&opts.Internal, "internal", false, "Restrict external access to the network")
	f.IntVar(&opts.MTU, "mtu", 0, "MTU of the bridge and its veths")
	stringArrayVar(f, &labels, "label", nil, "Set metadata on a network")
	stringArrayVarP(f, &driverOpts, "opt", "o", nil, "Set driver specific options")
	f.StringVar(&opts.IPRange, "ip-range", "", "Allocate container ip from a sub-range")
	stringArrayVar(f, &aux, "aux-address", nil, "Auxiliary IPv4 or IPv6 addresses used by Network driver")
	return c
}

// networkDriverOpts reads docker's bridge driver options (-o).
func networkDriverOpts(opts *network.NetworkOptions, kvs []string) error {
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return badFlag("invalid key/value pair format in driver options: %s", kv)
		}
		if err := opts.SetDriverOption(k, v); err != nil {
			return badFlag("%v", err)
		}
	}
	return nil
}

// networkSubnets sorts --subnet and --gateway by family: one IPv4 and,
// with --ipv6, one IPv6 of each.
func networkSubnets(opts *network.NetworkOptions, subnets, gateways []string) error {
	for _, s := range subnets {
		ip, _, err := net.ParseCIDR(s)
		switch {
		case err != nil:
			return badFlag("invalid subnet %s: want CIDR notation", s)
		case ip.To4() != nil && opts.Subnet == "":
			opts.Subnet = s
		case ip.To4() == nil && opts.Subnet6 == "":
			opts.Subnet6 = s
		default:
			return badFlag("only one IPv4 and one IPv6 --subnet are supported")
		}
	}
	for _, g := range gateways {
		ip := net.ParseIP(g)
		switch {
		case ip == nil:
			return badFlag("invalid gateway %s: want an IP address", g)
		case ip.To4() != nil && opts.Gateway == "":
			opts.Gateway = g
		case ip.To4() == nil && opts.Gateway6 == "":
			opts.Gateway6 = g
		default:
			return badFlag("only one IPv4 and one IPv6 --gateway are supported")
		}
	}
	return nil
}
