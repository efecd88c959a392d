package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

func newVolumeCmd(o *Options) *cobra.Command {
	v := &cobra.Command{Use: "volume COMMAND", Short: "Manage volumes"}
	var labels, volOpts []string
	var driver string
	create := &cobra.Command{
		Use: "create [OPTIONS] [VOLUME]", Short: "Create a volume",
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			name := ""
			if len(args) > 0 {
				name = args[0]
			}
			l := map[string]string{}
			for _, kv := range labels {
				k, val, _ := strings.Cut(kv, "=")
				l[k] = val
			}
			opts := map[string]string{}
			for _, kv := range volOpts {
				k, val, ok := strings.Cut(kv, "=")
				if !ok {
					return badFlag("invalid key/value pair format in driver options: %s", kv)
				}
				opts[k] = val
			}
			vol, err := e.Volumes().CreateWithOptions(name, driver, l, opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), vol.Name)
			return nil
		},
	}
	create.Flags().StringVarP(&driver, "driver", "d", "local", "Specify volume driver name")
	stringArrayVar(create.Flags(), &labels, "label", nil, "Set metadata for a volume")
	stringArrayVarP(create.Flags(), &volOpts, "opt", "o", nil, "Set driver specific options")
	var quiet bool
	var format string
	var lsFilters []string
	ls := &cobra.Command{
		Use: "ls [OPTIONS]", Aliases: []string{"list"}, Short: "List volumes", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fs, err := parseFilterSet(lsFilters, "dangling", "driver", "label", "label!", "name")
			if err != nil {
				return err
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			vols, err := e.Volumes().List()
			if err != nil {
				return err
			}
			var rows []volumeRow
			for _, v := range vols {
				if volumeMatch(e, fs, v) {
					rows = append(rows, volumeRow{v})
				}
			}
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(c.OutOrStdout(), r.Name())
				}
				return nil
			}
			return printRowsTitled(c.OutOrStdout(), format, "table {{.Driver}}\t{{.Name}}", volumeTitles, rows)
		},
	}
	ls.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	stringArrayVarP(ls.Flags(), &lsFilters, "filter", "f", nil, "Provide filter values (e.g. \"dangling=true\")")
	ls.Flags().StringVar(&format, "format", "", formatHelpTable)
	var ifmt string
	inspect := &cobra.Command{
		Use: "inspect [OPTIONS] VOLUME [VOLUME...]", Short: "Display detailed information on one or more volumes", Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			var out []*engine.Volume
			for _, a := range args {
				v, err := e.Volumes().Get(a)
				if err != nil {
					return err
				}
				out = append(out, v)
			}
			if ifmt != "" {
				return printInspect(c.OutOrStdout(), ifmt, toAny(out))
			}
			b, _ := json.MarshalIndent(out, "", "    ")
			fmt.Fprintln(c.OutOrStdout(), string(b))
			return nil
		},
	}
	inspect.Flags().StringVarP(&ifmt, "format", "f", "", formatHelpJSON)
	var force bool
	rm := &cobra.Command{
		Use: "rm [OPTIONS] VOLUME [VOLUME...]", Aliases: []string{"remove"}, Short: "Remove one or more volumes", Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			return forEach(c, args, func(n string) error { return e.Volumes().Remove(n, force) })
		},
	}
	rm.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of one or more volumes")
	var pruneAll, yes bool
	var pruneFilters []string
	prune := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove unused local volumes", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fs, err := parseFilterSet(pruneFilters, append(pruneFilterKeys, "all")...)
			if err != nil {
				return err
			}
			for _, v := range fs["all"] {
				pruneAll = pruneAll || v == "true" || v == "1"
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			warn := "WARNING! This will remove anonymous local volumes not used by at least one container."
			if pruneAll {
				warn = "WARNING! This will remove all local volumes not used by at least one container."
			}
			if !yes && !confirm(c, warn) {
				return nil
			}
			names, reclaimed, err := pruneVolumes(e, pruneAll, fs)
			if err != nil {
				return err
			}
			printDeleted(c, "Deleted Volumes:", names)
			fmt.Fprintln(c.OutOrStdout(), "Total reclaimed space:", humanSize(reclaimed))
			return nil
		},
	}
	prune.Flags().BoolVarP(&pruneAll, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	stringArrayVar(prune.Flags(), &pruneFilters, "filter", nil, "Provide filter values (e.g. \"label=<label>\")")
	prune.Flags().BoolVarP(&yes, "force", "f", false, "Do not prompt for confirmation")
	v.AddCommand(create, ls, inspect, rm, prune)
	return v
}

// pruneVolumes removes the unused volumes the filters accept and returns
// their names and the bytes their data held.
func pruneVolumes(e engine.Engine, all bool, fs filterSet) ([]string, int64, error) {
	var n int64
	names, err := e.Volumes().PruneWhere(all, func(v *engine.Volume) bool {
		if !until(fs, v.CreatedAt) || !fs.Labels(v.Labels) {
			return false
		}
		n += dirSize(v.Mountpoint)
		return true
	})
	return names, n, err
}

// volumeRow is what volume ls --format templates see: docker's fields.
type volumeRow struct{ v *engine.Volume }

func (r volumeRow) Name() string          { return r.v.Name }
func (r volumeRow) Driver() string        { return r.v.Driver }
func (r volumeRow) Scope() string         { return "local" }
func (r volumeRow) Mountpoint() string    { return r.v.Mountpoint }
func (r volumeRow) Labels() string        { return labelString(r.v.Labels) }
func (r volumeRow) Label(k string) string { return r.v.Labels[k] }
func (r volumeRow) Links() string         { return "N/A" }
func (r volumeRow) Size() string          { return "N/A" }
func (r volumeRow) Group() string         { return "N/A" }
func (r volumeRow) Availability() string  { return "N/A" }
func (r volumeRow) Status() string        { return "N/A" }

// MarshalJSON is docker's object for --format json and {{json .}}.
func (r volumeRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

var volumeTitles = map[string]string{"Driver": "DRIVER", "Name": "VOLUME NAME", "Mountpoint": "MOUNTPOINT",
	"Scope": "SCOPE", "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE", "Group": "GROUP",
	"Availability": "AVAILABILITY", "Status": "STATUS"}

// volumeMatch is docker's volume ls --filter.
func volumeMatch(e engine.Engine, fs filterSet, v *engine.Volume) bool {
	return fs.Any("name", func(x string) bool { return strings.Contains(v.Name, x) }) &&
		fs.Any("driver", func(x string) bool { return v.Driver == x }) &&
		fs.Labels(v.Labels) &&
		fs.Any("dangling", func(x string) bool {
			return (x == "true" || x == "1") == (len(e.Volumes().InUse(v.Name)) == 0)
		})
}
