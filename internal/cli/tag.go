package cli

import "github.com/spf13/cobra"

func newTagCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openImageStore(o)
			if err != nil {
				return err
			}
			return st.Tag(args[0], args[1])
		},
	}
}
