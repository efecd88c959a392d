package cli

import "github.com/spf13/cobra"

// newImageCmd is `jinn image …`, docker's management command for images.
func newImageCmd(o *Options) *cobra.Command {
	c := &cobra.Command{Use: "image", Short: "Manage images"}
	c.AddCommand(
		imagesCmd(o, "ls [OPTIONS] [REPOSITORY[:TAG]]", []string{"list"}),
		newImageInspectCmd(o),
		newHistoryCmd(o),
		newImagePruneCmd(o),
		rmiCmd(o, "rm [OPTIONS] IMAGE [IMAGE...]", []string{"rmi", "remove"}),
		newTagCmd(o),
		newImportCmd(o),
		newSaveCmd(o),
		newLoadCmd(o),
		newPullCmd(o),
		newPushCmd(o),
	)
	return c
}
