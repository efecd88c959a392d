package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
)

// newCommitCmd is docker commit: the container's upper dir becomes a new
// layer on its image, with the container's settings as the new config.
func newCommitCmd(o *Options) *cobra.Command {
	var author, message string
	var changes []string
	var pause bool
	c := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var tags []string
			if len(args) == 2 {
				if _, err := image.ParseRef(args[1]); err != nil {
					return err
				}
				tags = []string{args[1]}
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			id, err := e.Commit(ctx, args[0], &engine.CommitOptions{
				Author: author, Comment: message, Changes: changes, Tags: tags, Pause: pause,
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&author, "author", "a", "", "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")")
	f.StringVarP(&message, "message", "m", "", "Commit message")
	stringArrayVarP(f, &changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	f.BoolVarP(&pause, "pause", "p", true, "Pause container during commit")
	return c
}
