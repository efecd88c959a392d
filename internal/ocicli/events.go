package ocicli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/jinn-containers/jinn/internal/runtime"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newEvents(g *Global) *cobra.Command {
	var interval time.Duration
	var stats bool
	cmd := &cobra.Command{
		Use:   "events [flags] <container-id>",
		Short: "Print a container's OOM, exit and stats events as JSON lines",
		Args:  exactArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return fmt.Errorf("duration interval must be greater than 0")
			}
			ctx, stop := signal.NotifyContext(context.Background(), unix.SIGINT, unix.SIGTERM)
			defer stop()
			enc := json.NewEncoder(os.Stdout)
			return g.Runtime().Events(ctx, args[0], interval, stats, func(e runtime.Event) error {
				return enc.Encode(e)
			})
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", 5*time.Second, "how often to print stats")
	cmd.Flags().BoolVar(&stats, "stats", false, "print the container's stats once and exit")
	return cmd
}
