package ocicli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

func newPs(g *Global) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "ps [flags] <container-id> [ps options]",
		Short: "List the processes of a container",
		Args:  minArgs(1, "container id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pids, err := g.Runtime().Pids(args[0])
			if err != nil {
				return err
			}
			switch format {
			case "json":
				if pids == nil {
					pids = []int{}
				}
				return json.NewEncoder(os.Stdout).Encode(pids)
			case "table":
			default:
				return fmt.Errorf("invalid format option %q", format)
			}
			psArgs := args[1:]
			if len(psArgs) == 0 {
				psArgs = []string{"-ef"}
			}
			out, err := exec.Command("ps", psArgs...).Output()
			if err != nil {
				return fmt.Errorf("ps: %w", err)
			}
			lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
			col := -1
			for i, h := range strings.Fields(lines[0]) {
				if h == "PID" {
					col = i
				}
			}
			if col < 0 {
				return fmt.Errorf("ps output has no PID column")
			}
			in := map[string]bool{}
			for _, p := range pids {
				in[strconv.Itoa(p)] = true
			}
			fmt.Println(lines[0])
			for _, l := range lines[1:] {
				if f := strings.Fields(l); len(f) > col && in[f[col]] {
					fmt.Println(l)
				}
			}
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	return cmd
}
