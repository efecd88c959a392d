package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/monitor"
)

// statsRow is what stats --format templates see: docker's fields.
type statsRow struct {
	id, name                 string
	noTrunc                  bool
	cpu, mem, memPerc        float64
	limit                    float64
	pids                     uint64
	blkR, blkW, netRx, netTx float64
}

func (r statsRow) Container() string { return r.id[:12] }
func (r statsRow) ID() string {
	if r.noTrunc {
		return r.id
	}
	return r.id[:12]
}
func (r statsRow) Name() string     { return r.name }
func (r statsRow) CPUPerc() string  { return fmt.Sprintf("%.2f%%", r.cpu) }
func (r statsRow) MemUsage() string { return binarySize(r.mem) + " / " + binarySize(r.limit) }
func (r statsRow) MemPerc() string  { return fmt.Sprintf("%.2f%%", r.memPerc) }
func (r statsRow) NetIO() string    { return decimalSize(r.netRx) + " / " + decimalSize(r.netTx) }
func (r statsRow) BlockIO() string  { return decimalSize(r.blkR) + " / " + decimalSize(r.blkW) }
func (r statsRow) PIDs() string     { return fmt.Sprint(r.pids) }

// MarshalJSON is docker's object for --format json and {{json .}}.
func (r statsRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

var statsHeaders = map[string]string{
	"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
	"MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
}

const statsDefault = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

func newStatsCmd(o *Options) *cobra.Command {
	var all, noStream, noTrunc bool
	var format string
	c := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			ctx, stop := interruptible(c)
			defer stop()
			targets := func() ([]*engine.View, error) {
				if len(args) > 0 {
					var out []*engine.View
					for _, a := range args {
						v, err := e.Inspect(ctx, a)
						if err != nil {
							return nil, err
						}
						out = append(out, v)
					}
					return out, nil
				}
				vs, err := e.List(ctx)
				if err != nil {
					return nil, err
				}
				var out []*engine.View
				for _, v := range vs {
					if all || v.State.Status == monitor.StatusRunning || v.State.Status == monitor.StatusPaused {
						out = append(out, v)
					}
				}
				return out, nil
			}
			prev := map[string]*engine.Stats{}
			sample := func(vs []*engine.View) []statsRow {
				var rows []statsRow
				for _, v := range vs {
					s, err := e.Stats(ctx, v.ID)
					if err != nil {
						continue
					}
					r := statsRow{id: v.ID, name: v.Name, noTrunc: noTrunc, mem: float64(s.MemUsage), limit: float64(s.MemLimit), pids: s.Pids,
						blkR: float64(s.BlkRead), blkW: float64(s.BlkWrite), netRx: float64(s.NetRx), netTx: float64(s.NetTx)}
					if p := prev[v.ID]; p != nil && s.Read.After(p.Read) && s.CPUNanos >= p.CPUNanos {
						r.cpu = float64(s.CPUNanos-p.CPUNanos) / float64(s.Read.Sub(p.Read).Nanoseconds()) * 100
					}
					if s.MemLimit > 0 {
						r.memPerc = float64(s.MemUsage) / float64(s.MemLimit) * 100
					}
					prev[v.ID] = s
					rows = append(rows, r)
				}
				return rows
			}
			for first := true; ; first = false {
				vs, err := targets()
				if err != nil {
					return err
				}
				if first {
					sample(vs)
					time.Sleep(500 * time.Millisecond)
				}
				rows := sample(vs)
				if !noStream {
					fmt.Fprint(c.OutOrStdout(), "\033[2J\033[H")
				}
				if err := printRowsTitled(c.OutOrStdout(), format, statsDefault, statsHeaders, rows); err != nil {
					return err
				}
				if noStream {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Second):
				}
			}
		},
	}
	c.Flags().BoolVarP(&all, "all", "a", false, "Show all containers (default shows just running)")
	c.Flags().BoolVar(&noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	c.Flags().BoolVar(&noTrunc, "no-trunc", false, "Do not truncate output")
	c.Flags().StringVar(&format, "format", "", formatHelpTable)
	return c
}
