package cli

import (
	"fmt"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"
)

// top runs the host's ps over the container's pids, like docker.
func newTopCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := o.engine()
			if err != nil {
				return err
			}
			pids, err := e.Top(c.Context(), args[0])
			if err != nil {
				return err
			}
			psArgs := []string{"-ef"}
			if len(args) > 1 {
				psArgs = args[1:]
			}
			out, err := exec.Command("ps", psArgs...).Output()
			if err != nil {
				return badFlag("Error running ps: %v", err)
			}
			lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
			if len(lines) == 0 {
				return nil
			}
			pidCol := -1
			for i, h := range strings.Fields(lines[0]) {
				if h == "PID" {
					pidCol = i
				}
			}
			if pidCol < 0 {
				return badFlag("Couldn't find PID field in ps output")
			}
			want := map[string]bool{}
			for _, p := range pids {
				want[fmt.Sprint(p)] = true
			}
			fmt.Fprintln(c.OutOrStdout(), lines[0])
			for _, l := range lines[1:] {
				f := strings.Fields(l)
				if len(f) > pidCol && want[f[pidCol]] {
					fmt.Fprintln(c.OutOrStdout(), l)
				}
			}
			return nil
		},
	}
}
