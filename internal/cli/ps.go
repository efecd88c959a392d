package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/monitor"
)

// psRow is what ps --format templates see: docker's fields.
type psRow struct {
	o       *Options // for the network names
	v       *engine.View
	noTrunc bool
	ports   string
	size    string
}

func (r psRow) ID() string {
	if r.noTrunc {
		return r.v.ID
	}
	return r.v.ID[:12]
}
func (r psRow) Image() string { return r.v.Image }
func (r psRow) Command() string {
	cmd := strings.Join(append([]string{r.v.Path}, r.v.Args...), " ")
	if !r.noTrunc && len(cmd) > 20 {
		cmd = cmd[:19] + "…"
	}
	return strconv.Quote(cmd)
}
func (r psRow) CreatedAt() string  { return r.v.Created.Local().Format("2006-01-02 15:04:05 -0700 MST") }
func (r psRow) RunningFor() string { return engine.HumanDuration(time.Since(r.v.Created)) + " ago" }
func (r psRow) Status() string     { return engine.StatusText(r.v) }
func (r psRow) State() string      { return r.v.State.Status }
func (r psRow) Ports() string      { return r.ports }
func (r psRow) Names() string      { return r.v.Name }
func (r psRow) Size() string {
	if r.size == "" {
		return "0B"
	}
	return r.size
}
func (r psRow) LocalVolumes() string {
	n := 0
	for _, mp := range r.v.Mounts {
		if mp.Type == "volume" {
			n++
		}
	}
	return strconv.Itoa(n)
}

// MarshalJSON is docker's object for --format json and {{json .}}.
func (r psRow) MarshalJSON() ([]byte, error) { return marshalRow(r) }

// Networks are the networks the container is on (docker's NETWORKS):
// those it has endpoints on, else its network mode.
func (r psRow) Networks() string {
	if r.o != nil && r.v.State.Status == monitor.StatusRunning {
		if m, err := r.o.networks(); err == nil {
			if eps, err := m.Endpoints(r.v.ID); err == nil && len(eps) > 0 {
				names := make([]string, len(eps))
				for i, ep := range eps {
					names[i] = ep.Network
				}
				return strings.Join(names, ",")
			}
		}
	}
	return r.v.Host.NetworkMode
}
func (r psRow) Mounts() string {
	var m []string
	for _, mp := range r.v.Mounts {
		if mp.Name != "" {
			m = append(m, mp.Name)
		} else {
			m = append(m, mp.Source)
		}
	}
	return strings.Join(m, ",")
}
func (r psRow) Labels() string        { return labelString(r.v.Config.Labels) }
func (r psRow) Label(k string) string { return r.v.Config.Labels[k] }

var psHeaders = map[string]string{
	"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
	"RunningFor": "CREATED", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES", "Size": "SIZE",
	"State": "STATE", "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS", "LocalVolumes": "LOCAL VOLUMES",
}

const psDefault = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

func newPsCmd(o *Options) *cobra.Command {
	var all, quiet, size, noTrunc, latest bool
	var last int
	var filters []string
	var format string
	c := &cobra.Command{
		Use:     "ps [OPTIONS]",
		Aliases: []string{"list", "ls"},
		Short:   "List containers",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			views, err := e.List(c.Context())
			if err != nil {
				return err
			}
			match, err := parseFilterSet(filters, psFilterKeys...)
			if err != nil {
				return err
			}
			// before= and since= name containers: compare creation times.
			var before, after []time.Time
			for _, k := range []string{"before", "since"} {
				for _, ref := range match[k] {
					v, err := e.Inspect(c.Context(), ref)
					if err != nil {
						return badFlag("no such container: %s", ref)
					}
					if k == "before" {
						before = append(before, v.Created)
					} else {
						after = append(after, v.Created)
					}
				}
			}
			if latest {
				last = 1
			}
			var rows []psRow
			for _, v := range views {
				if !all && last <= 0 && v.State.Status != monitor.StatusRunning && v.State.Status != monitor.StatusPaused && v.State.Status != monitor.StatusRestarting && len(match["status"]) == 0 {
					continue
				}
				if !psMatch(match, v) || !createdBetween(v.Created, before, after) {
					continue
				}
				if len(match["network"]) > 0 && !match.Any("network", func(n string) bool {
					return slices.Contains(strings.Split(psRow{o: o, v: v}.Networks(), ","), n)
				}) {
					continue
				}
				r := psRow{o: o, v: v, noTrunc: noTrunc, ports: portsColumn(o, v)}
				if size {
					r.size = containerSize(o, v)
				}
				rows = append(rows, r)
				if last > 0 && len(rows) == last {
					break
				}
			}
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(c.OutOrStdout(), r.ID())
				}
				return nil
			}
			def := psDefault
			if size {
				def += "\t{{.Size}}"
			}
			return printRowsTitled(c.OutOrStdout(), format, def, psHeaders, rows)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&all, "all", "a", false, "Show all containers (default shows just running)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only display container IDs")
	fl.BoolVarP(&size, "size", "s", false, "Display total file sizes")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	fl.BoolVarP(&latest, "latest", "l", false, "Show the latest created container (includes all states)")
	fl.IntVarP(&last, "last", "n", -1, "Show n last created containers (includes all states)")
	stringArrayVarP(fl, &filters, "filter", "f", nil, "Filter output based on conditions provided")
	fl.StringVar(&format, "format", "", formatHelpTable)
	return c
}

// containerSize is ps -s: the container's own writes (its snapshot's
// upper dir, or its --rootfs directory) and the image's size.
func containerSize(o *Options, v *engine.View) string {
	own, virt := containerSizes(o, v)
	return decimalSize(float64(own)) + " (virtual " + decimalSize(float64(virt)) + ")"
}

// containerSizes are the container's own (writable layer) and virtual
// (with its image's layers) sizes: docker's SizeRw and SizeRootFs.
func containerSizes(o *Options, v *engine.View) (own, virt int64) {
	if v.Rootfs != "" {
		return dirSize(v.Rootfs), 0
	}
	st, err := openImageStore(o)
	if err != nil {
		return 0, 0
	}
	if u, err := st.Snapshots().Usage(v.Snapshot); err == nil {
		own = u.Size
	}
	if img, err := st.Get(v.ImageID); err == nil {
		virt = img.Size
	}
	return own, own + virt
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// psFilterKeys are docker's ps --filter keys.
var psFilterKeys = []string{"id", "name", "status", "label", "label!", "ancestor", "exited", "before", "since", "volume", "health", "network"}

// createdBetween is ps's before= and since=: created before every
// container of the first and after every one of the second.
func createdBetween(t time.Time, before, after []time.Time) bool {
	for _, b := range before {
		if !t.Before(b) {
			return false
		}
	}
	for _, a := range after {
		if !t.After(a) {
			return false
		}
	}
	return true
}

// psMatch is docker's ps --filter.
func psMatch(m filterSet, v *engine.View) bool {
	any := m.Any
	return any("id", func(x string) bool { return strings.HasPrefix(v.ID, x) }) &&
		any("name", func(x string) bool { return strings.Contains(v.Name, x) }) &&
		any("status", func(x string) bool { return v.State.Status == x }) &&
		any("ancestor", func(x string) bool {
			return v.Image == x || v.ImageID == x || strings.HasPrefix(v.ImageID, "sha256:"+x)
		}) &&
		any("exited", func(x string) bool {
			return v.State.Status == monitor.StatusExited && strconv.Itoa(v.State.ExitCode) == x
		}) &&
		any("health", func(x string) bool {
			return v.State.Health != nil && v.State.Health.Status == x || x == "none" && v.State.Health == nil
		}) &&
		any("volume", func(x string) bool {
			for _, mp := range v.Mounts {
				if mp.Name == x || mp.Destination == x {
					return true
				}
			}
			return false
		}) &&
		m.Labels(v.Config.Labels)
}
