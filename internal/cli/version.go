package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is jinn's version; set with -ldflags at release.
var Version = "0.1.0-dev"

func newVersionCmd(o *Options) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "version",
		Short: "Show the jinn version information",
		RunE: func(c *cobra.Command, args []string) error {
			commit := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						commit = s.Value
					}
				}
			}
			v := map[string]any{"Client": map[string]string{"Version": Version, "GoVersion": runtime.Version(), "GitCommit": commit,
				"Os": runtime.GOOS, "Arch": runtime.GOARCH}}
			if format != "" {
				fm, err := newFormatter(c.OutOrStdout(), format, nil)
				if err != nil {
					return err
				}
				return fm.row(v)
			}
			fmt.Fprintf(c.OutOrStdout(), "Client:\n Version:           %s\n Go version:        %s\n Git commit:        %s\n OS/Arch:           %s/%s\n Context:           local (daemonless)\n",
				Version, runtime.Version(), commit, runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	return c
}
