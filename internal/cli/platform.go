package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

// hostPlatformOnly gives c docker's --platform (a list with many): jinn's
// store holds each image for one platform, the host's, so any other is
// refused before c runs.
func hostPlatformOnly(c *cobra.Command, usage string, many bool) *cobra.Command {
	var one string
	var list []string
	if many {
		c.Flags().StringSliceVar(&list, "platform", nil, usage)
		c.Flags().SetAnnotation("platform", dockerTypeAnnotation, []string{"strings"})
	} else {
		c.Flags().StringVar(&one, "platform", "", usage)
	}
	run := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		for _, p := range append(list, one) {
			if p == "" {
				continue
			}
			if err := image.CheckHostPlatform(p); err != nil {
				return fmt.Errorf("--platform: %w", err)
			}
		}
		return run(cmd, args)
	}
	return c
}

const platformFormat = `Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`
