package cli

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
)

// newManifestCmd is `jinn manifest inspect`: a manifest or index as the
// registry serves it.
func newManifestCmd(o *Options) *cobra.Command {
	c := &cobra.Command{Use: "manifest COMMAND", Short: "Manage Docker image manifests and manifest lists", Args: cobra.NoArgs}
	var insecure, verbose bool
	inspect := &cobra.Command{
		Use:   "inspect [OPTIONS] [MANIFEST_LIST] MANIFEST",
		Short: "Display an image manifest, or manifest list",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			ref := args[len(args)-1]
			ctx, stop := interruptible(c)
			defer stop()
			m, err := image.FetchManifest(ctx, ref, insecure)
			if err != nil {
				return &engine.ExitError{Code: 1, Err: err}
			}
			var out []byte
			if verbose {
				var parsed any
				json.Unmarshal(m.Raw, &parsed)
				key := "SchemaV2Manifest"
				if m.Descriptor.MediaType == "application/vnd.oci.image.manifest.v1+json" {
					key = "OCIManifest"
				}
				if isIndex(m.Descriptor.MediaType) {
					key = "Manifests"
				}
				out, _ = json.MarshalIndent(map[string]any{"Ref": m.Ref, "Descriptor": m.Descriptor, key: parsed}, "", "\t")
			} else {
				var b bytes.Buffer
				if err := json.Indent(&b, m.Raw, "", "\t"); err != nil {
					return &engine.ExitError{Code: 1, Err: fmt.Errorf("the registry's manifest of %s is not JSON: %w", ref, err)}
				}
				out = b.Bytes()
			}
			fmt.Fprintln(c.OutOrStdout(), string(out))
			return nil
		},
	}
	inspect.Flags().BoolVar(&insecure, "insecure", false, "Allow communication with an insecure registry")
	inspect.Flags().BoolVarP(&verbose, "verbose", "v", false, "Output additional info including layers and platform")
	c.AddCommand(inspect)
	return c
}

func isIndex(mt string) bool {
	return mt == "application/vnd.oci.image.index.v1+json" || mt == "application/vnd.docker.distribution.manifest.list.v2+json"
}
