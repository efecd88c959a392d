package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCreateCmd(o *Options) *cobra.Command {
	f := &createFlags{}
	c := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		RunE: func(c *cobra.Command, args []string) error {
			opts, err := f.options(c.Flags(), args)
			if err != nil {
				return err
			}
			if opts.Runtime == "" {
				opts.Runtime = o.Runtime
			}
			if err := f.more.prepare(c, o, opts); err != nil {
				return err
			}
			if err := f.res.apiSocket(o, opts); err != nil {
				return err
			}
			e, err := o.engine()
			if err != nil {
				return err
			}
			ctr, err := e.Create(c.Context(), opts)
			if err != nil {
				return err
			}
			if err := f.connectExtra(c.Context(), e, ctr.ID); err != nil {
				return err
			}
			for _, w := range ctr.Warnings {
				fmt.Fprintln(c.ErrOrStderr(), "WARNING: "+w)
			}
			if err := f.more.created(ctr.ID); err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), ctr.ID)
			return nil
		},
	}
	f.register(c.Flags())
	return c
}
