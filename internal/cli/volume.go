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
	var labels []string
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
			vol, err := e.Volumes().Create(name, l, false)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), vol.Name)
			return nil
		},
	}
	create.Flags().StringArrayVarP(&labels, "label", "l", nil, "Set metadata for a volume")
	var quiet bool
	var format string
	ls := &cobra.Command{
		Use: "ls [OPTIONS]", Aliases: []string{"list"}, Short: "List volumes",
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			vols, err := e.Volumes().List()
			if err != nil {
				return err
			}
			if quiet {
				for _, v := range vols {
					fmt.Fprintln(c.OutOrStdout(), v.Name)
				}
				return nil
			}
			if format == "" {
				format = "table {{.Driver}}\t{{.Name}}"
			}
			fm, err := newFormatter(c.OutOrStdout(), format, headerFromTemplate(map[string]string{"Driver": "DRIVER", "Name": "VOLUME NAME", "Mountpoint": "MOUNTPOINT"}))
			if err != nil {
				return err
			}
			for _, v := range vols {
				fm.row(v)
			}
			fm.flush()
			return nil
		},
	}
	ls.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	ls.Flags().StringVar(&format, "format", "", "Format output using a custom template")
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
				fm, err := newFormatter(c.OutOrStdout(), ifmt, nil)
				if err != nil {
					return err
				}
				for _, v := range out {
					fm.row(v)
				}
				return nil
			}
			b, _ := json.MarshalIndent(out, "", "    ")
			fmt.Fprintln(c.OutOrStdout(), string(b))
			return nil
		},
	}
	inspect.Flags().StringVarP(&ifmt, "format", "f", "", "Format output using a custom template")
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
	prune := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove unused local volumes",
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			names, err := e.Volumes().Prune(pruneAll)
			if err != nil {
				return err
			}
			if len(names) > 0 {
				fmt.Fprintln(c.OutOrStdout(), "Deleted Volumes:")
				for _, n := range names {
					fmt.Fprintln(c.OutOrStdout(), n)
				}
				fmt.Fprintln(c.OutOrStdout())
			}
			fmt.Fprintln(c.OutOrStdout(), "Total reclaimed space: 0B")
			return nil
		},
	}
	prune.Flags().BoolVarP(&pruneAll, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	prune.Flags().BoolVarP(&yes, "force", "f", false, "Do not prompt for confirmation")
	v.AddCommand(create, ls, inspect, rm, prune)
	return v
}
