package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/network"
)

// networkRow is what network ls --format templates see: docker's fields.
type networkRow struct {
	n       *network.NetworkInfo
	noTrunc bool
}

func (r networkRow) ID() string {
	if r.noTrunc || len(r.n.ID) <= 12 {
		return r.n.ID
	}
	return r.n.ID[:12]
}
func (r networkRow) Name() string     { return r.n.Name }
func (r networkRow) Driver() string   { return r.n.Driver }
func (r networkRow) Scope() string    { return "local" }
func (r networkRow) IPv4() string     { return strconv.FormatBool(!r.n.IPv6Only()) }
func (r networkRow) IPv6() string     { return strconv.FormatBool(r.n.Subnet6 != "") }
func (r networkRow) Internal() string { return strconv.FormatBool(r.n.Internal) }
func (r networkRow) Labels() string   { return labelString(r.n.Labels) }
func (r networkRow) Label(k string) string {
	return r.n.Labels[k]
}
func (r networkRow) CreatedAt() string {
	return r.n.Created.Local().Format("2006-01-02 15:04:05.999999999 -0700 MST")
}

// MarshalJSON is docker's object for --format json and {{json .}}.
func (r networkRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

var networkTitles = map[string]string{"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
	"IPv4": "IPV4", "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED"}

// builtinNetworks are the networks docker's type=builtin filter names.
var builtinNetworks = map[string]bool{network.DefaultNetwork: true, "host": true, "none": true}

func newNetworkLsCmd(o *Options) *cobra.Command {
	var quiet, noTrunc bool
	var format string
	var filters []string
	c := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fs, err := parseFilterSet(filters, "driver", "id", "label", "label!", "name", "scope", "type", "dangling")
			if err != nil {
				return err
			}
			m, err := o.networks()
			if err != nil {
				return err
			}
			nets, err := m.Networks()
			if err != nil {
				return err
			}
			var rows []networkRow
			for i := range nets {
				n := &nets[i]
				if !networkMatch(fs, n) {
					continue
				}
				rows = append(rows, networkRow{n: n, noTrunc: noTrunc})
			}
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(c.OutOrStdout(), r.ID())
				}
				return nil
			}
			return printRowsTitled(c.OutOrStdout(), format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", networkTitles, rows)
		},
	}
	fl := c.Flags()
	stringArrayVarP(fl, &filters, "filter", "f", nil, "Provide filter values (e.g. \"driver=bridge\")")
	fl.StringVar(&format, "format", "", formatHelpTable)
	fl.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the output")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only display network IDs")
	return c
}

// networkMatch is docker's network ls --filter: name and id match a
// part or prefix, type is custom or builtin, dangling means no container.
func networkMatch(fs filterSet, n *network.NetworkInfo) bool {
	return fs.Any("name", func(v string) bool { return strings.Contains(n.Name, v) }) &&
		fs.Any("id", func(v string) bool { return strings.HasPrefix(n.ID, v) }) &&
		fs.Any("driver", func(v string) bool { return n.Driver == v }) &&
		fs.Any("scope", func(v string) bool { return v == "local" }) &&
		fs.Any("type", func(v string) bool { return (v == "builtin") == builtinNetworks[n.Name] }) &&
		fs.Any("dangling", func(v string) bool { return (v == "true" || v == "1") == (len(n.Containers) == 0) }) &&
		fs.Labels(n.Labels)
}
