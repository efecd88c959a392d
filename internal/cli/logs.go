package cli

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
)

// parseTime takes docker's --since/--until: RFC3339, a unix timestamp or a
// duration ago (10m).
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(f*1e9)), nil
	}
	return time.Time{}, badFlag("invalid time %q", s)
}

func newLogsCmd(o *Options) *cobra.Command {
	var follow, timestamps, details bool
	var tail, since, until string
	c := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			lo := &engine.LogOptions{Follow: follow, Timestamps: timestamps, Details: details, Stdout: c.OutOrStdout(), Stderr: c.ErrOrStderr()}
			var err error
			if lo.Tail, err = engine.ParseTail(tail); err != nil {
				return badFlag("%v", err)
			}
			if lo.Since, err = parseTime(since); err != nil {
				return err
			}
			if lo.Until, err = parseTime(until); err != nil {
				return err
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			ctx, stop := interruptible(c)
			defer stop()
			return e.Logs(ctx, args[0], lo)
		},
	}
	c.Flags().BoolVar(&details, "details", false, "Show extra details provided to logs")
	c.Flags().BoolVarP(&follow, "follow", "f", false, "Follow log output")
	c.Flags().BoolVarP(&timestamps, "timestamps", "t", false, "Show timestamps")
	c.Flags().StringVarP(&tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	c.Flags().StringVar(&since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	c.Flags().StringVar(&until, "until", "", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	return c
}
