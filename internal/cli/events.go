package cli

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

func newEventsCmd(o *Options) *cobra.Command {
	var since, until, format string
	var filters []string
	c := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Get real time events from the server",
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			s, err := parseTime(since)
			if err != nil {
				return err
			}
			u, err := parseTime(until)
			if err != nil {
				return err
			}
			// As docker: without --since only new events; with --until,
			// follow until that time (at once if it is past).
			if s.IsZero() {
				s = time.Now()
			}
			if !u.IsZero() && u.Before(s) {
				return badFlag("--since time (%s) cannot be after --until time (%s)", since, until)
			}
			flt, err := engine.ParseEventFilter(filters)
			if err != nil {
				return badFlag("%v", err)
			}
			var fm *formatter
			if format != "" {
				if format == "json" {
					format = "{{json .}}"
				}
				if fm, err = newFormatter(c.OutOrStdout(), format, headerFromTemplate(nil)); err != nil {
					return err
				}
			}
			ctx, stop := interruptible(c)
			defer stop()
			var ferr error
			err = e.Events().Follow(ctx, s, u, true, flt, func(ev *engine.Event) {
				if fm != nil {
					if err := fm.row(ev); err != nil && ferr == nil {
						ferr = err
						stop()
					}
					return
				}
				t := time.Unix(0, ev.TimeNano).Format("2006-01-02T15:04:05.000000000-07:00")
				keys := make([]string, 0, len(ev.Actor.Attributes))
				for k := range ev.Actor.Attributes {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				attrs := make([]string, len(keys))
				for i, k := range keys {
					attrs[i] = k + "=" + ev.Actor.Attributes[k]
				}
				fmt.Fprintf(c.OutOrStdout(), "%s %s %s %s (%s)\n", t, ev.Type, ev.Action, ev.Actor.ID, strings.Join(attrs, ", "))
			})
			if fm != nil {
				fm.flush()
			}
			if ferr != nil {
				return ferr
			}
			return err
		},
	}
	c.Flags().StringVar(&since, "since", "", "Show all events created since timestamp")
	c.Flags().StringVar(&until, "until", "", "Stream events until this timestamp")
	c.Flags().StringVar(&format, "format", "", formatHelpJSON)
	stringArrayVarP(c.Flags(), &filters, "filter", "f", nil, "Filter output based on conditions provided")
	return c
}
