package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

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
			v, err := e.Inspect(ctx, args[0])
			if err != nil {
				return err
			}
			if v.Snapshot == "" {
				return fmt.Errorf("container %s runs on a plain --rootfs directory, not an image", args[0])
			}
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			base, err := st.Get(v.ImageID)
			if err != nil {
				return fmt.Errorf("image of container %s: %w", args[0], err)
			}
			// The new image runs what the container ran, as docker does.
			cfg := base.Config.Config.ImageConfig
			cc := v.Config
			cfg.Cmd, cfg.Entrypoint, cfg.Env = cc.Cmd, cc.Entrypoint, cc.Env
			cfg.WorkingDir, cfg.User, cfg.StopSignal = cc.WorkingDir, cc.User, cc.StopSignal
			if cc.Labels != nil {
				cfg.Labels = cc.Labels
			}
			if err := image.ApplyChanges(&cfg, changes); err != nil {
				return err
			}
			if pause && v.State != nil && v.State.Status == "running" {
				if err := e.Pause(ctx, args[0]); err == nil {
					defer e.Unpause(ctx, args[0])
				}
			}
			img, err := st.Commit(ctx, v.Snapshot, base, image.CommitOptions{
				Config: &cfg, Author: author, Comment: message, Tags: tags,
				CreatedBy: createdBy(v.Path, v.Args),
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), img.ID)
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&author, "author", "a", "", "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")")
	f.StringVarP(&message, "message", "m", "", "Commit message")
	f.StringArrayVarP(&changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	f.BoolVarP(&pause, "pause", "p", true, "Pause container during commit")
	return c
}

func createdBy(path string, args []string) string {
	return strings.TrimSpace(path + " " + strings.Join(args, " "))
}
