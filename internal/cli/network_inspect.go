package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/network"
)

func newNetworkInspectCmd(o *Options) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "inspect NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			m, err := o.networks()
			if err != nil {
				return err
			}
			out := []dockerNetwork{}
			var firstErr error
			for _, a := range args {
				n, err := m.InspectNetwork(a)
				if err != nil {
					fmt.Fprintln(c.ErrOrStderr(), "Error:", err)
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				out = append(out, toDocker(n))
			}
			if format != "" {
				if err := printInspect(c.OutOrStdout(), format, toAny(out)); err != nil {
					return err
				}
				return firstErr
			}
			enc := json.NewEncoder(c.OutOrStdout())
			enc.SetIndent("", "    ")
			if err := enc.Encode(out); err != nil {
				return err
			}
			return firstErr
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", formatHelpJSON)
	return c
}

// dockerNetwork is `docker network inspect`'s shape, so that scripts and
// --format templates written for docker work.
type dockerNetwork struct {
	Name       string
	ID         string `json:"Id"`
	Created    string
	Scope      string
	Driver     string
	EnableIPv4 bool
	EnableIPv6 bool
	IPAM       struct {
		Driver string
		Config []map[string]any
	}
	Internal   bool
	Containers map[string]dockerEndpoint
	Options    map[string]string
	Labels     map[string]string
}

type dockerEndpoint struct {
	Name        string
	MacAddress  string
	IPv4Address string
	IPv6Address string
}

func toDocker(n *network.NetworkInfo) dockerNetwork {
	d := dockerNetwork{
		Name: n.Name, ID: n.ID, Created: n.Created.Format("2006-01-02T15:04:05.999999999Z07:00"),
		Scope: "local", Driver: n.Driver, Internal: n.Internal, Labels: n.Labels,
		Containers: map[string]dockerEndpoint{},
		Options:    map[string]string{"com.docker.network.bridge.name": n.Bridge, "com.docker.network.driver.mtu": fmt.Sprint(n.MTU)},
	}
	d.IPAM.Driver = "default"
	d.IPAM.Config = []map[string]any{}
	d.EnableIPv4 = !n.IPv6Only()
	if n.HasIPv4() {
		cfg := map[string]any{"Subnet": n.Subnet, "Gateway": n.Gateway}
		if n.IPRange != "" {
			cfg["IPRange"] = n.IPRange
		}
		if len(n.AuxAddresses) > 0 {
			cfg["AuxiliaryAddresses"] = n.AuxAddresses
		}
		d.IPAM.Config = append(d.IPAM.Config, cfg)
	}
	if n.Subnet6 != "" {
		d.EnableIPv6 = true
		d.IPAM.Config = append(d.IPAM.Config, map[string]any{"Subnet": n.Subnet6, "Gateway": n.Gateway6})
	}
	if n.NoICC {
		d.Options["com.docker.network.bridge.enable_icc"] = "false"
	}
	if n.NoMasquerade {
		d.Options["com.docker.network.bridge.enable_ip_masquerade"] = "false"
	}
	for id, ep := range n.Containers {
		de := dockerEndpoint{Name: ep.IfName, MacAddress: ep.MAC}
		if ep.IP != "" {
			de.IPv4Address = fmt.Sprintf("%s/%d", ep.IP, ep.Prefix)
		}
		if ep.IP6 != "" {
			de.IPv6Address = fmt.Sprintf("%s/%d", ep.IP6, ep.Prefix6)
		}
		d.Containers[id] = de
	}
	return d
}
