package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jinn-containers/jinn/internal/image"
	"github.com/jinn-containers/jinn/internal/image/archive"
)

var engineManaged = map[string]bool{"/etc/hostname": true, "/etc/hosts": true, "/etc/resolv.conf": true}

// newDiffCmd is docker diff: what a container changed in its filesystem,
// read from its snapshot's upper dir.
func newDiffCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, snap, err := containerSnapshot(cmd, o, args[0])
			if err != nil {
				return err
			}
			changes, err := st.Changes(snap)
			if err != nil {
				return err
			}
			for _, c := range changes {
				// The engine's mount points for the files it manages are
				// not the container's changes (docker hides them too).
				if c.Kind == archive.Added && engineManaged[c.Path] {
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), c)
			}
			return nil
		},
	}
}

// containerSnapshot finds the snapshot holding a container's writable
// layer (none for a --rootfs container) and opens the store that has it.
func containerSnapshot(cmd *cobra.Command, o *Options, ref string) (*image.Store, string, error) {
	e, err := o.engine()
	if err != nil {
		return nil, "", err
	}
	v, err := e.Inspect(cmd.Context(), ref)
	if err != nil {
		return nil, "", err
	}
	if v.Snapshot == "" {
		return nil, "", fmt.Errorf("container %s runs on a plain --rootfs directory, not an image", ref)
	}
	st, err := openImageStore(o)
	if err != nil {
		return nil, "", err
	}
	return st, v.Snapshot, nil
}
