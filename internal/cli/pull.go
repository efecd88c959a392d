package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
)

func newPullCmd(o *Options) *cobra.Command {
	var platform string
	var quiet, insecure, allTags bool
	c := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := interruptible(cmd)
			defer stop()
			p, err := image.ParsePlatform(platform)
			if err != nil {
				return err
			}
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			var prog io.Writer
			if !quiet {
				prog = cmd.OutOrStdout()
			}
			if allTags {
				return pullAllTags(cmd, st, args[0], image.PullOptions{Platform: p, Progress: prog, Insecure: insecure})
			}
			if !quiet {
				if !strings.ContainsAny(lastPart(args[0]), ":@") {
					fmt.Fprintln(prog, "Using default tag: latest")
				}
			}
			if _, err := st.Pull(ctx, args[0], image.PullOptions{Platform: p, Progress: prog, Insecure: insecure}); err != nil {
				return err
			}
			n, _ := image.ParseRef(args[0])
			fmt.Fprintln(cmd.OutOrStdout(), n.String())
			return nil
		},
	}
	f := c.Flags()
	f.BoolVarP(&allTags, "all-tags", "a", false, "Download all tagged images in the repository")
	f.Bool("disable-content-trust", true, "Skip image verification (no content trust: nothing is signed here)")
	f.StringVar(&platform, "platform", "", "Set platform if server is multi-platform capable")
	f.BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	f.BoolVar(&insecure, "insecure", false, "Allow plain HTTP to the registry (loopback always may)")
	return c
}

// lastPart is what follows the last "/" of a reference (its name, tag and
// digest; a registry port is before it).
func lastPart(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// pullAllTags is pull --all-tags: every tag of the repository in its
// registry, one after the other.
func pullAllTags(cmd *cobra.Command, st *image.Store, ref string, opts image.PullOptions) error {
	repo, err := image.RepoName(ref)
	if err != nil {
		return badFlag("%v", err)
	}
	ctx := cmd.Context()
	tags, err := st.RemoteTags(ctx, repo, opts.Insecure)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return fmt.Errorf("repository %s has no tags", image.Familiar(repo))
	}
	for _, t := range tags {
		if _, err := st.Pull(ctx, repo+":"+t, opts); err != nil {
			return err
		}
	}
	fmt.Fprintln(cmd.OutOrStdout(), repo)
	return nil
}
