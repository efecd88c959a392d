package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
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
			follow := u.IsZero()
			if s.IsZero() {
				s = time.Now()
			}
			var fm *formatter
			if format != "" {
				if fm, err = newFormatter(c.OutOrStdout(), format, nil); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			return e.Events().Follow(ctx, s, u, follow, func(ev *engine.Event) {
				if fm != nil {
					fm.row(ev)
					return
				}
				t := time.Unix(0, ev.TimeNano).Format("2006-01-02T15:04:05.000000000-07:00")
				fmt.Fprintf(c.OutOrStdout(), "%s %s %s %s (image=%s, name=%s)\n", t, ev.Type, ev.Action, ev.Actor.ID,
					ev.Actor.Attributes["image"], ev.Actor.Attributes["name"])
			})
		},
	}
	c.Flags().StringVar(&since, "since", "", "Show all events created since timestamp")
	c.Flags().StringVar(&until, "until", "", "Stream events until this timestamp")
	c.Flags().StringVar(&format, "format", "", "Format the output using the given Go template")
	c.Flags().StringArrayVarP(&filters, "filter", "f", nil, "Filter output based on conditions provided")
	return c
}
