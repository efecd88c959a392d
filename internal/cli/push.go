package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

func newPushCmd(o *Options) *cobra.Command {
	var quiet, insecure, allTags bool
	c := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd)
			defer stop()
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			var prog io.Writer
			if !quiet {
				prog = cmd.OutOrStdout()
			}
			refs := args[:1]
			if allTags {
				repo, err := image.RepoName(args[0])
				if err != nil {
					return badFlag("%v", err)
				}
				if refs, err = st.LocalTags(repo); err != nil {
					return err
				}
				if len(refs) == 0 {
					return fmt.Errorf("An image does not exist locally with the tag: %s", image.Familiar(repo))
				}
			}
			for _, ref := range refs {
				if err := st.Push(ctx, ref, image.PushOptions{Progress: prog, Insecure: insecure}); err != nil {
					return err
				}
				if quiet { // docker's -q prints the reference pushed
					n, _ := image.ParseRef(ref)
					fmt.Fprintln(cmd.OutOrStdout(), n.String())
				}
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&allTags, "all-tags", "a", false, "Push all tags of an image to the repository")
	c.Flags().Bool("disable-content-trust", true, "Skip image signing (no content trust: nothing is signed here)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	c.Flags().BoolVar(&insecure, "insecure", false, "Allow plain HTTP to the registry (loopback always may)")
	return hostPlatformOnly(c, "Push a platform-specific manifest as a single-platform image to the registry. Image index won't be pushed, "+
		"meaning that other manifests, including attestations won't be preserved. 'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)", false)
}
